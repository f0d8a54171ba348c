import type { Clock, TimerHandle } from './clock.js';

/**
 * memberlist suspicion.go: the time left before a suspect is declared dead, given `confirmations` independent
 * confirmations out of `expected`. It falls logarithmically from `maxMs` (none) to `minMs` (all expected).
 */
export function remainingSuspicionMs(confirmations: number, expected: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = Math.log(confirmations + 1) / Math.log(expected + 1);
  const raw = maxMs - frac * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

/**
 * One suspicion timer. `from` (the first accuser) is not a confirmation; each other distinct member that
 * suspects the same incarnation shortens the timer. With `expected` < 1 the timer is simply `minMs`.
 */
export class Suspicion {
  private readonly confirmedBy = new Set<string>();
  private readonly startMs: number;
  private timer: TimerHandle | undefined;
  private confirmations = 0;

  constructor(
    from: string,
    private readonly expected: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly clock: Clock,
    private readonly onTimeout: (confirmations: number) => void,
  ) {
    this.confirmedBy.add(from);
    this.startMs = clock.now();
    const timeoutMs = expected < 1 ? minMs : maxMs;
    this.timer = clock.setTimeout(() => this.fire(), timeoutMs);
  }

  /** Returns true when `from` is a new confirmation (the caller then re-gossips the suspicion). */
  confirm(from: string): boolean {
    if (this.confirmations >= this.expected || this.confirmedBy.has(from) || this.timer === undefined) return false;
    this.confirmedBy.add(from);
    this.confirmations++;
    const elapsed = this.clock.now() - this.startMs;
    const remaining = remainingSuspicionMs(this.confirmations, this.expected, elapsed, this.minMs, this.maxMs);
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, remaining));
    return true;
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.onTimeout(this.confirmations);
  }
}
