/**
 * Keeps a node's log readable under overload: a failure repeated on every call (thousands per second when a peer is
 * slow) is written a few times per window with its stack, then counted; the next line written for it, or the
 * window's summary, says how many were left out. One line per failed call would cost more CPU than the call
 * (stack formatting, JSON, the pipe) and bury the one line that matters at 3 a.m.
 */

/** Lines written per (message, error name) in one window; the rest are counted. @default 5 */
export const DEFAULT_LOG_SAMPLE_LINES = 5;
/** Length of a sampling window, in ms. @default 10000 */
export const DEFAULT_LOG_SAMPLE_WINDOW_MS = 10_000;

interface Bucket {
  windowStartMs: number;
  written: number;
  /** Left out since the last line written (or summary) for this key. */
  suppressed: number;
}

export class LogSampler {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly nowMs: () => number,
    private readonly linesPerWindow = DEFAULT_LOG_SAMPLE_LINES,
    private readonly windowMs = DEFAULT_LOG_SAMPLE_WINDOW_MS,
  ) {}

  /**
   * Whether to write a line for `key`; when it is written after others were left out, `suppressed` is how many.
   * Returns undefined when the line is to be left out.
   */
  admit(key: string): { suppressed: number } | undefined {
    const now = this.nowMs();
    let b = this.buckets.get(key);
    if (b === undefined) this.buckets.set(key, (b = { windowStartMs: now, written: 0, suppressed: 0 }));
    if (now - b.windowStartMs >= this.windowMs) {
      b.windowStartMs = now;
      b.written = 0;
    }
    if (b.written >= this.linesPerWindow) {
      b.suppressed++;
      return undefined;
    }
    b.written++;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    return { suppressed };
  }

  /** Keys with lines left out since their last written line, and how many; those counts restart at 0. Idle keys are forgotten. */
  drain(): Array<{ key: string; suppressed: number }> {
    const now = this.nowMs();
    const out: Array<{ key: string; suppressed: number }> = [];
    for (const [key, b] of this.buckets) {
      if (b.suppressed > 0) {
        out.push({ key, suppressed: b.suppressed });
        b.suppressed = 0;
      } else if (now - b.windowStartMs >= this.windowMs) this.buckets.delete(key);
    }
    return out;
  }
}
