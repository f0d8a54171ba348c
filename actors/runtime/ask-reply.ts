import type { BucketHistogram } from '../store/bucket-histogram.js';
import type { PendingReply } from './commit-batch.js';
import type { Clock } from './types.js';

/**
 * The answer slot of one ask. Correlation is this object itself, queued next to its message: there are no
 * reply ids to collide, and a reply after the deadline is dropped here rather than reaching another caller.
 */
export class AskReply implements PendingReply {
  timer: unknown = undefined;
  settled = false;
  private readonly askedMs = performance.now();

  constructor(
    private readonly onResolve: (value: any) => void,
    private readonly onReject: (err: unknown) => void,
    private readonly clock: Clock,
    /** Where the ask's latency (ask to answer or failure, in seconds) is counted. */
    private readonly latency: BucketHistogram,
  ) {}

  resolve(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.latency.observe((performance.now() - this.askedMs) / 1000);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.onResolve(value);
  }

  reject(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.latency.observe((performance.now() - this.askedMs) / 1000);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.onReject(err);
  }
}
