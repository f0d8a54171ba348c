import { BucketHistogram, type HistogramSnapshot } from '../store/bucket-histogram.js';

/** Counters of one actor kind on one host, since it started; what `/metrics` exports per kind. */
export class KindStats {
  messagesHandled = 0;
  /** Time from a handler's start to its end (an async handler: until its promise settles), in seconds. */
  readonly handlerSeconds = new BucketHistogram();
  /** Time from an ask to its answer (after the commit its writes wait for) or its failure, in seconds. */
  readonly askSeconds = new BucketHistogram();
}

/** One kind's reading: gauges now, counters and histograms cumulative since the host started. */
export interface KindMetrics {
  readonly kind: string;
  readonly activeActors: number;
  /** Messages queued and not yet handled, summed over the kind's active actors. */
  readonly mailboxDepth: number;
  readonly messagesHandled: number;
  readonly handlerSeconds: HistogramSnapshot;
  readonly askSeconds: HistogramSnapshot;
}
