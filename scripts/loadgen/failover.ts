import { status } from '@grpc/grpc-js';
import type { BackoffPolicy } from './backoff.js';

/**
 * How a simulated player survives a node going away, as a phone with a list of node addresses would: a call that
 * fails UNAVAILABLE (connection refused, reset or dropped, or a node that says it cannot serve) moves the player to
 * the next address, and its fixes and event stream continue there. And the figures of such an episode: when failures
 * began and ended, and when every player that failed was served again. Pure: SimPlayer and the worker record, this
 * decides and sums up.
 */

/**
 * After a fix failed UNAVAILABLE, the player sends its next fix to the next target after a wait from this policy
 * rather than at its next tick: a phone whose node vanished reconnects elsewhere at once, and the jitter keeps the
 * players of a dead node from arriving at the next one in the same millisecond. @default { baseMs: 250, capMs: 10000 }
 */
export const DEFAULT_FAILOVER_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 250, capMs: 10_000 });

/** Whether a call that ended with `code` should move the player to another node. */
export function failsOver(code: number): boolean {
  return code === status.UNAVAILABLE;
}

/**
 * How long a player skips a node whose connection failed (refused, reset, dropped) when it picks the next one: a
 * node that said UNAVAILABLE itself is up and may serve the next call, a node that is gone will not for a while, and
 * players that cycle through it meanwhile only add failures. @default 10000 ms
 */
export const DEFAULT_NODE_DOWN_MS = 10_000;

/**
 * The target a player uses after a call on `failedOn` failed over, given it now uses `current`: the next one after
 * `failedOn` that is not down at `nowMs` (`downUntilMs[t]`, when the player noted any), or simply the next one when
 * all are down; unless the player already moved away from `failedOn` (its fix and its stream fail together when a
 * node dies; the second failure must not move it twice).
 */
export function targetAfterFailure(current: number, failedOn: number, targetCount: number, downUntilMs?: readonly number[], nowMs = 0): number {
  if (!Number.isInteger(targetCount) || targetCount < 1) throw new RangeError(`targetCount must be a positive integer, got ${targetCount}`);
  if (current !== failedOn) return current;
  for (let step = 1; step < targetCount; step++) {
    const t = (failedOn + step) % targetCount;
    if ((downUntilMs?.[t] ?? 0) <= nowMs) return t;
  }
  return (failedOn + 1) % targetCount;
}

/** What a player remembers of its failed fixes: the time of the last one, of the first fix sent and the first ack after it. */
export interface PlayerFailureTimes {
  lastFailureAtMs: number | undefined;
  /** Undefined while the player has sent no fix since its last failure (a walker out of every beacon's range sends none). */
  sentAfterFailureAtMs: number | undefined;
  /** Undefined while the player has not been served since its last failure. */
  recoveredAtMs: number | undefined;
}

/** One worker's (or, merged, the whole run's) account of failures from `sinceMs` (the fault) to the end of the window. */
export interface FailoverSummary {
  sinceMs: number;
  /** The first failed fix at or after `sinceMs`, and the last before the window ended. */
  firstFailureAtMs?: number;
  lastFailureAtMs?: number;
  /** Failed fixes per second from `sinceMs`: [0] counts those in the first second, and so on. */
  failuresBySecond: number[];
  /** Players whose last failure came at or after `sinceMs`. */
  playersFailed: number;
  /** Of those, the ones that sent a fix since and were not acked (not served again by the end of the window). */
  playersUnrecovered: number;
  /** Of those, the ones that sent no fix since: whether they would be served is not known. */
  playersIdle: number;
  /** The latest first-ack-after-last-failure of the players that failed and recovered. */
  lastRecoveryAtMs?: number;
}

/**
 * Sums up failures from `sinceMs` on: `failureTimesMs` are the times of every failed fix (any order), `players` what
 * each player remembers, both as of the end of the window.
 */
export function summarizeFailover(sinceMs: number, failureTimesMs: Iterable<number>, players: Iterable<PlayerFailureTimes>): FailoverSummary {
  const summary: FailoverSummary = { sinceMs, failuresBySecond: [], playersFailed: 0, playersUnrecovered: 0, playersIdle: 0 };
  for (const t of failureTimesMs) {
    if (t < sinceMs) continue;
    addAt(summary.failuresBySecond, Math.floor((t - sinceMs) / 1000), 1);
    if (summary.firstFailureAtMs === undefined || t < summary.firstFailureAtMs) summary.firstFailureAtMs = t;
    if (summary.lastFailureAtMs === undefined || t > summary.lastFailureAtMs) summary.lastFailureAtMs = t;
  }
  for (const p of players) {
    if (p.lastFailureAtMs === undefined || p.lastFailureAtMs < sinceMs) continue;
    summary.playersFailed++;
    if (p.recoveredAtMs === undefined && p.sentAfterFailureAtMs === undefined) summary.playersIdle++;
    else if (p.recoveredAtMs === undefined) summary.playersUnrecovered++;
    else if (summary.lastRecoveryAtMs === undefined || p.recoveredAtMs > summary.lastRecoveryAtMs) summary.lastRecoveryAtMs = p.recoveredAtMs;
  }
  return summary;
}

/** The workers' summaries as one (all with the same `sinceMs`). */
export function mergeFailover(summaries: readonly FailoverSummary[]): FailoverSummary | undefined {
  if (summaries.length === 0) return undefined;
  const merged: FailoverSummary = { sinceMs: summaries[0]!.sinceMs, failuresBySecond: [], playersFailed: 0, playersUnrecovered: 0, playersIdle: 0 };
  for (const s of summaries) {
    if (s.sinceMs !== merged.sinceMs) throw new RangeError(`failover summaries since different instants: ${merged.sinceMs} and ${s.sinceMs}`);
    merged.playersFailed += s.playersFailed;
    merged.playersUnrecovered += s.playersUnrecovered;
    merged.playersIdle += s.playersIdle;
    s.failuresBySecond.forEach((n, i) => addAt(merged.failuresBySecond, i, n));
    merged.firstFailureAtMs = minDefined(merged.firstFailureAtMs, s.firstFailureAtMs);
    merged.lastFailureAtMs = maxDefined(merged.lastFailureAtMs, s.lastFailureAtMs);
    merged.lastRecoveryAtMs = maxDefined(merged.lastRecoveryAtMs, s.lastRecoveryAtMs);
  }
  return merged;
}

/**
 * The figures of an episode: `errorWindowMs` from the first to the last failed fix (absent when none failed), and
 * `recoveryMs` from the fault to the moment every player that failed was served again (0 when none failed; absent,
 * with `unrecovered` set, when some were still not served when the window ended). Idle players (no fix sent since
 * their failure) are left out of `recoveryMs`: their recovery was not observed.
 */
export function failoverFigures(s: FailoverSummary): { errorWindowMs?: number; recoveryMs?: number; unrecovered?: number } {
  const figures: { errorWindowMs?: number; recoveryMs?: number; unrecovered?: number } = {};
  if (s.firstFailureAtMs !== undefined && s.lastFailureAtMs !== undefined) figures.errorWindowMs = s.lastFailureAtMs - s.firstFailureAtMs;
  if (s.playersUnrecovered > 0) figures.unrecovered = s.playersUnrecovered;
  else figures.recoveryMs = s.lastRecoveryAtMs === undefined ? 0 : s.lastRecoveryAtMs - s.sinceMs;
  return figures;
}

/** Adds n at index i, the slots before it 0 when new (no holes: the list goes to JSON). */
function addAt(list: number[], i: number, n: number): void {
  while (list.length <= i) list.push(0);
  list[i]! += n;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}
