/**
 * How a simulated player backs off when the server refuses it, as a phone app should: exponential backoff with full
 * jitter (each wait is uniform in [0, min(cap, base·2^(failures−1)))), so thousands of players refused at the same
 * moment come back spread out instead of as one retry storm that keeps an overloaded node overloaded. Pure: the
 * random source is passed in.
 */

export interface BackoffPolicy {
  /** The upper bound of the first wait. */
  baseMs: number;
  /** No wait is longer than this. */
  capMs: number;
}

/** An event stream that failed re-subscribes after a wait from this policy. @default { baseMs: 250, capMs: 10000 } */
export const DEFAULT_RESUBSCRIBE_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 250, capMs: 10_000 });

/** A stream open this long counts as healthy: its next failure is a first failure again. @default 10000 ms */
export const DEFAULT_STREAM_HEALTHY_AFTER_MS = 10_000;

/** A fix refused as overload pauses the player's fixes for a wait from this policy (at least one tick). @default { baseMs: 250, capMs: 10000 } */
export const DEFAULT_REFUSED_FIX_BACKOFF: BackoffPolicy = Object.freeze({ baseMs: 250, capMs: 10_000 });

/** The wait after `failures` (≥ 1) failures in a row, `random()` uniform in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, failures: number, random: () => number): number {
  if (!Number.isInteger(failures) || failures < 1) throw new RangeError(`failures must be an integer ≥ 1, got ${failures}`);
  // 2^(failures-1) overflows to Infinity long after it passed any cap; min() takes care of it.
  const ceilingMs = Math.min(policy.capMs, policy.baseMs * 2 ** (failures - 1));
  return Math.floor(random() * ceilingMs);
}

/**
 * The failures in a row once a stream ended with an error: 1 when the stream delivered data or stayed open
 * `healthyAfterMs` (the failure is news, not a repeat), else one more than before.
 */
export function streamFailuresAfter(previous: number, stream: { delivered: boolean; openMs: number }, healthyAfterMs: number): number {
  return stream.delivered || stream.openMs >= healthyAfterMs ? 1 : previous + 1;
}

/**
 * Until when a player sends no fix after `refusals` (≥ 1) fixes in a row were refused as overload at `nowMs`: at
 * least past its next tick (`fixIntervalMs` away), longer when the backoff says so.
 */
export function fixesPausedUntilMs(nowMs: number, fixIntervalMs: number, policy: BackoffPolicy, refusals: number, random: () => number): number {
  return nowMs + Math.max(fixIntervalMs, backoffDelayMs(policy, refusals, random));
}
