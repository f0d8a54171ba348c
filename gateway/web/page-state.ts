/**
 * Everything the page shows, folded from the event stream and call results by pure functions, so ordering
 * rules (drop duplicate events, notice gaps, ignore stale treasure lists) are tested without a browser.
 */
import type { Award, Event, FixAck, Leaderboard, TreasureList, Winner } from '../../proto/gen/hunt.js';

/**
 * How many recent awards the feed keeps.
 * @default 8
 */
export const DEFAULT_FEED_LENGTH = 8;

export interface SeqGap {
  /** First and last missing sequence numbers, inclusive. */
  readonly fromSeq: number;
  readonly toSeq: number;
}

export interface FeedItem {
  readonly seq: number;
  readonly award: Award;
}

export interface PageState {
  /** Highest event seq applied; resume point after a reconnect (0 before the first event). */
  readonly lastSeq: number;
  readonly gaps: readonly SeqGap[];
  /** Authoritative score from the last fix acknowledgement (or the leaderboard before the first fix). */
  readonly score: number;
  readonly achievements: readonly string[];
  readonly feed: readonly FeedItem[];
  readonly closestBeaconId: string | undefined;
  readonly buildingId: string | undefined;
  /** Treasure list of `buildingId` only. */
  readonly treasureList: TreasureList | undefined;
  readonly leaderboard: Leaderboard | undefined;
  readonly winner: Winner | undefined;
  readonly fixesSent: number;
  readonly fixesAccepted: number;
}

export const initialPageState: PageState = {
  lastSeq: 0,
  gaps: [],
  score: 0,
  achievements: [],
  feed: [],
  closestBeaconId: undefined,
  buildingId: undefined,
  treasureList: undefined,
  leaderboard: undefined,
  winner: undefined,
  fixesSent: 0,
  fixesAccepted: 0,
};

function withAchievements(state: PageState, names: readonly string[]): PageState {
  const fresh = names.filter((n) => n !== '' && !state.achievements.includes(n));
  return fresh.length === 0 ? state : { ...state, achievements: [...state.achievements, ...fresh] };
}

/** Entering another building drops the old building's treasure list; the caller fetches the new one. */
export function enterBuilding(state: PageState, buildingId: string | undefined): PageState {
  if (buildingId === undefined || buildingId === state.buildingId) return state;
  return { ...state, buildingId, treasureList: undefined };
}

/** Applies a treasure list if it is for the current building and not older than the one shown. */
export function applyTreasureList(state: PageState, list: TreasureList): PageState {
  if (list.buildingId !== state.buildingId) return state;
  if (state.treasureList !== undefined && list.version < state.treasureList.version) return state;
  return { ...state, treasureList: list };
}

export function applyLeaderboard(state: PageState, board: Leaderboard): PageState {
  if (state.leaderboard !== undefined && board.asOfMs < state.leaderboard.asOfMs) return state;
  // Before the first acknowledged fix the leaderboard is the only source of our own score.
  const score = state.fixesAccepted === 0 && board.own !== undefined ? board.own.score : state.score;
  return { ...state, leaderboard: board, score };
}

export function applyFixAck(state: PageState, ack: FixAck, buildingOf: (beaconId: string) => string | undefined): PageState {
  let next: PageState = { ...state, fixesSent: state.fixesSent + 1 };
  if (!ack.accepted) return next;
  next = { ...next, fixesAccepted: next.fixesAccepted + 1, score: ack.score };
  if (ack.closestBeaconId !== '') {
    next = enterBuilding({ ...next, closestBeaconId: ack.closestBeaconId }, buildingOf(ack.closestBeaconId));
  }
  return withAchievements(next, ack.achievements);
}

/** A fix that failed in transport still counts as sent, so the page can show the ratio. */
export function countFailedFix(state: PageState): PageState {
  return { ...state, fixesSent: state.fixesSent + 1 };
}

/**
 * Folds one stream event. An event at or below `lastSeq` is a replay after a reconnect and is dropped; one
 * beyond `lastSeq + 1` is applied and the skipped range recorded as a gap.
 */
export function applyEvent(state: PageState, event: Event): PageState {
  if (event.seq <= state.lastSeq) return state;
  let next: PageState = { ...state, lastSeq: event.seq };
  if (state.lastSeq > 0 && event.seq > state.lastSeq + 1) {
    next = { ...next, gaps: [...state.gaps, { fromSeq: state.lastSeq + 1, toSeq: event.seq - 1 }] };
  }
  const body = event.body;
  switch (body?.$case) {
    case 'award':
      return { ...next, feed: [{ seq: event.seq, award: body.value }, ...next.feed].slice(0, DEFAULT_FEED_LENGTH) };
    case 'achievement':
      return withAchievements(next, [body.value]);
    case 'treasureList':
      // The server sends lists of the building it places us in; before any fix that is our best guess too.
      return applyTreasureList(next.buildingId === undefined ? enterBuilding(next, body.value.buildingId) : next, body.value);
    case 'leaderboard':
      return applyLeaderboard(next, body.value);
    case 'winner':
      return { ...next, winner: body.value };
    case 'buildingEntered':
      return enterBuilding(next, body.value);
    case undefined:
      return next;
  }
}
