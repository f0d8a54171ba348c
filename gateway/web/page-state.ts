/**
 * Everything the page shows, folded from the event stream and call results by pure functions, so ordering
 * rules (drop duplicate events, notice gaps, ignore stale treasure lists) are tested without a browser.
 */
import type { Award, Event, FixAck, Leaderboard, SubscribeRequest, TreasureList, Winner } from '../../proto/gen/hunt.js';
import { subscribeCursorFields } from '../notify/cursor.js';
import { userChannel } from '../notify/notifier.js';

/**
 * How many recent awards the feed keeps.
 * @default 8
 */
export const DEFAULT_FEED_LENGTH = 8;

/** Events lost on `channel` between the last one we saw (`afterSeq`) and the one that arrived (`beforeSeq`). */
export interface SeqGap {
  readonly channel: string;
  readonly afterSeq: number;
  readonly beforeSeq: number;
}

export interface FeedItem {
  readonly seq: number;
  readonly award: Award;
}

export interface PageState {
  /**
   * Per channel (`user.<id>`, `building.<id>`, `all`), the seq of the last event applied: the resume point
   * after a reconnect. Seqs are per channel and not dense; `Event.prevSeq` is what reveals a gap.
   */
  readonly cursor: Readonly<Record<string, number>>;
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
  cursor: {},
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
 * Folds one stream event. An event at or below its channel's cursor is a replay after a reconnect and is
 * dropped. One whose `prevSeq` is beyond the cursor means events in between were lost (retention ran out):
 * it is applied and the gap recorded. A channel's first event (no cursor yet) cannot reveal a gap.
 * `channel` empty (a server before channels) counts as the player's own channel.
 */
export function applyEvent(state: PageState, event: Event, playerId: string): PageState {
  const channel = event.channel === '' ? userChannel(playerId) : event.channel;
  const seen = state.cursor[channel];
  if (seen !== undefined && event.seq <= seen) return state;
  let next: PageState = { ...state, cursor: { ...state.cursor, [channel]: event.seq } };
  if (seen !== undefined && seen > 0 && event.prevSeq > seen) {
    next = { ...next, gaps: [...state.gaps, { channel, afterSeq: seen, beforeSeq: event.seq }] };
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

/** The Subscribe request that resumes every channel after the last event the page applied. */
export function resumeRequest(playerId: string, state: Pick<PageState, 'cursor'>): SubscribeRequest {
  return { playerId, ...subscribeCursorFields(playerId, state.cursor) };
}
