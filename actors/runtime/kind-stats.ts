import { BucketHistogram, type HistogramSnapshot } from '../store/bucket-histogram.js';

/**
 * One handled message in this many (a power of two) has its handler time measured: reading the clock before and
 * after every message halved the host's throughput of small messages (bench: ~10M -> ~4M msgs/s for one actor),
 * while a sample of every 16th keeps the distribution. @default 16
 */
export const HANDLER_TIMING_SAMPLE_EVERY = 16;

/** The start time of a message whose handler is not timed. */
export const NOT_TIMED = -1;

/** Counters of one actor kind on one host, since it started; what `/metrics` exports per kind. */
export class KindStats {
  messagesHandled = 0;
  /**
   * Time from a handler's start to its end (an async handler: until its promise settles), in seconds, of one message
   * in HANDLER_TIMING_SAMPLE_EVERY (its count is the samples; `messagesHandled` counts them all).
   */
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
