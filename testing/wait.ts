/**
 * The one wait of Quarry's tests and benchmarks: until a condition holds, or a timeout whose message names the phase,
 * what was expected and what was seen (STYLE.md: "Every wait has a timeout whose message names the phase, the id,
 * what was expected and what was seen"). Set it up before you trigger what it waits for.
 *
 *   await waitFor(() => got.length === 3, { phase: 'after heal', expected: '3 events', seen: () => got });
 *   const s = await waitFor(async () => { const s = await status(n1); return s.serving && s; }, { ... });
 */

/** How long a wait lasts before it fails, in ms. @default 10000 */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
/** Pause between two checks of a polled condition, in ms. @default 5 */
export const DEFAULT_WAIT_POLL_MS = 5;

export interface WaitFor {
  /** The test's phase, e.g. `after heal`. */
  readonly phase: string;
  /** What the test waits for, in words (ids included). */
  readonly expected: string;
  /** What there is instead, for the timeout message: a string as it is, anything else as JSON. */
  readonly seen: () => unknown;
  /** @default DEFAULT_WAIT_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default DEFAULT_WAIT_POLL_MS */
  readonly pollMs?: number;
  /**
   * Checks again on each event instead of polling: subscribes `recheck` (an emitter's listener, a log line's) and
   * returns the unsubscriber. The condition is also checked once at once.
   */
  readonly changes?: (recheck: () => void) => () => void;
}

/** A condition not met in time; `message` names the phase, what was expected and what was seen. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(readonly phase: string, readonly expected: string, readonly seen: string, readonly timeoutMs: number) {
    super(`${phase}: expected ${expected} within ${timeoutMs} ms; seen ${seen}`);
  }
}

type Falsy = false | undefined | null;

/**
 * Resolves to the first value of `check` that is neither false, undefined nor null (a `true`, or the thing waited
 * for); rejects with WaitTimeoutError after `timeoutMs`. `check` may be async (a status asked of a node process); a
 * check that throws fails the wait with that error.
 */
export async function waitFor<T>(check: () => T | Falsy | Promise<T | Falsy>, what: WaitFor): Promise<T> {
  const timeoutMs = what.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const expired = (): WaitTimeoutError => new WaitTimeoutError(what.phase, what.expected, describe(what.seen()), timeoutMs);
  if (what.changes !== undefined) return waitOnChanges(check, what.changes, timeoutMs, expired);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== false && v !== undefined && v !== null) return v;
    if (Date.now() >= deadline) throw expired();
    await new Promise((resolve) => setTimeout(resolve, what.pollMs ?? DEFAULT_WAIT_POLL_MS));
  }
}

function waitOnChanges<T>(check: () => T | Falsy | Promise<T | Falsy>, changes: NonNullable<WaitFor['changes']>, timeoutMs: number, expired: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let off: () => void = () => undefined;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(expired())), timeoutMs);
    const recheck = (): void => {
      Promise.resolve()
        .then(check)
        .then(
          (v) => {
            if (v !== false && v !== undefined && v !== null) settle(() => resolve(v));
          },
          (err: unknown) => settle(() => reject(err)),
        );
    };
    off = changes(recheck);
    if (settled) off();
    recheck();
  });
}

function describe(seen: unknown): string {
  if (typeof seen === 'string') return seen;
  try {
    return JSON.stringify(seen);
  } catch {
    return String(seen);
  }
}
