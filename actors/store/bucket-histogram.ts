/**
 * Upper bounds, in seconds, of the latency buckets that handler, ask and commit latency share: 50 µs to 10 s, about
 * 2.5x apart (what a Prometheus `histogram_quantile` interpolates within). Values above the last go to +Inf.
 */
export const LATENCY_BUCKETS_S: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A reading of a `BucketHistogram`: `counts[i]` values fell in bucket i (not cumulative); the last is +Inf. */
export interface HistogramSnapshot {
  readonly bucketsS: readonly number[];
  readonly counts: readonly number[];
  readonly sumS: number;
  readonly count: number;
}

/**
 * Counts of values per fixed bucket, cumulative since start: what a Prometheus histogram exports. One observation is
 * a short scan and an increment (~10 ns), cheap enough for every handled message; a metrics library's labelled
 * `observe` costs ~1 µs, as much as a small handler.
 */
export class BucketHistogram {
  private readonly counts: number[];
  private sumS = 0;
  private count = 0;

  constructor(private readonly bucketsS: readonly number[] = LATENCY_BUCKETS_S) {
    this.counts = new Array<number>(bucketsS.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const b = this.bucketsS;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sumS += seconds;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { bucketsS: this.bucketsS, counts: [...this.counts], sumS: this.sumS, count: this.count };
  }
}
