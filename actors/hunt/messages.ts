import type { Award } from './rules.js';
import type { Fix } from './fix.js';

/**
 * Messages, replies and persisted events of the hunt actors: plain objects, discriminated by `type`.
 * Replies and notification bodies that the gateway forwards to players have the shapes of proto/hunt.proto's
 * messages (field names in ts-proto's camelCase; `Event.body` as ts-proto's `{ $case, value }` oneof), so the
 * mapping is 1:1. Where proto uses "" or 0 for "none", these use null.
 */

export type { Award } from './rules.js';

// --- player/<id> ---------------------------------------------------------------------------------------------

export type PlayerMsg = { type: 'fix'; fix: Fix } | { type: 'profile' };

/** proto `FixAck`. */
export interface FixAck {
  /** False when the fix was a duplicate or out of order (nothing changed). */
  accepted: boolean;
  closestBeaconId: string | null;
  score: number;
  awards: Award[];
  achievements: string[];
  claimedTreasures: string[];
}

export interface PlayerView {
  playerId: string;
  score: number;
  achievements: string[];
  claims: string[];
  visitedBeacons: number;
  lastSeq: number;
  completedAtMs: number | null;
  session: { lastSeq: number; currentBeaconId: string | null; buildingId: string | null; trackedBeacons: number };
}

export type PlayerReply = FixAck | PlayerView;

export type PlayerEvent =
  | { type: 'visited'; beaconId: string; atMs: number; fixSeq: number; awards: Award[]; claims: string[]; visitPoints: boolean }
  | { type: 'achieved'; achievementId: string; points: number; atMs: number; fixSeq: number }
  | { type: 'completed'; atMs: number; fixSeq: number; won: boolean };

// --- beacon/<id> ---------------------------------------------------------------------------------------------

export interface VisitMsg {
  type: 'visit';
  playerId: string;
  fixSeq: number;
  atMs: number;
  firstVisit: boolean;
  lastPointsAtMs: number | null;
}

/** The rules engine's outcome (rules.ts `VisitOutcome`): visit points, and treasures to claim at the building. */
export interface VisitReply {
  inHunt: boolean;
  awards: Award[];
  treasureIds: string[];
}

// --- building/<id> -------------------------------------------------------------------------------------------

export type BuildingMsg =
  | { type: 'claim'; playerId: string; treasureId: string; beaconId: string; fixSeq: number; atMs: number }
  | { type: 'list' };

export type ClaimResult = 'granted' | 'alreadyClaimed' | 'soldOut' | 'unknownTreasure';

export interface ClaimReply {
  result: ClaimResult;
  treasureList: TreasureList;
}

/** proto `Treasure`. */
export interface Treasure {
  id: string;
  name: string;
  capacity: number;
  claimedBy: string[];
}

/** proto `TreasureList`. */
export interface TreasureList {
  buildingId: string;
  version: number;
  treasures: Treasure[];
}

export type BuildingReply = ClaimReply | TreasureList;

export type BuildingEvent = { type: 'claimed'; treasureId: string; playerId: string; beaconId: string; fixSeq: number; atMs: number };

// --- leaderboard ---------------------------------------------------------------------------------------------

/** proto `LeaderboardEntry`. */
export interface LeaderboardEntry {
  playerId: string;
  score: number;
  rank: number;
}

/** proto `Leaderboard`. */
export interface Leaderboard {
  top: LeaderboardEntry[];
  own: LeaderboardEntry | null;
  asOfMs: number;
}

export type ShardMsg =
  | { type: 'score'; playerId: string; score: number }
  | { type: 'get'; playerId: string }
  | { type: 'summary'; topN: number };

export interface ShardSummary {
  /** Best first; ties by player id. */
  top: Array<{ playerId: string; score: number }>;
  /** Every score in the shard, descending (for ranks). */
  scoresDesc: number[];
  asOfMs: number;
}

export type ShardReply = number | null | ShardSummary | void;

export type ShardEvent = { type: 'score'; playerId: string; score: number };

export type AggregatorMsg = { type: 'view'; maxAgeMs: number };

export interface AggregateView {
  top: Array<{ playerId: string; score: number }>;
  scoresDesc: number[];
  /** Oldest shard answer this view is built from. */
  asOfMs: number;
}

// --- game/<huntId> -------------------------------------------------------------------------------------------

/** proto `Winner`. */
export interface Winner {
  playerId: string;
  decidedAtMs: number;
}

export type GameMsg = { type: 'complete'; playerId: string; fixSeq: number } | { type: 'winner' };
export type GameReply = { winner: Winner; youWon: boolean } | Winner | null;
export type GameEvent = { type: 'winnerDecided'; playerId: string; fixSeq: number; atMs: number };

// --- notification bodies (proto `Event.body`) ------------------------------------------------------------------

export type EventBody =
  | { $case: 'award'; value: Award }
  | { $case: 'achievement'; value: string }
  | { $case: 'treasureList'; value: TreasureList }
  | { $case: 'leaderboard'; value: Leaderboard }
  | { $case: 'winner'; value: Winner }
  | { $case: 'buildingEntered'; value: string };

export const userChannel = (playerId: string): string => `user.${playerId}`;
export const buildingChannel = (buildingId: string): string => `building.${buildingId}`;
export const ALL_CHANNEL = 'all';
