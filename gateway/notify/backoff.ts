/** Delay before retry number `attempt` (0-based): `baseMs * 2^attempt`, capped at `maxMs`. Pure; table-tested. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  if (attempt < 0 || !Number.isInteger(attempt)) throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  // 2^31 already exceeds any sane cap; bounding the exponent keeps the product finite.
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 31));
}

/** Sleeps `ms` unless `signal` aborts first (then resolves early; callers re-check their own closed flag). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
