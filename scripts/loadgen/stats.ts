import { build, type Histogram } from 'hdr-histogram-js';
import { status } from '@grpc/grpc-js';

/** Counters and latency histograms of one load run (microsecond resolution, up to 60 s). */
export class LoadStats {
  fixesSent = 0;
  fixesAcked = 0;
  eventsReceived = 0;
  eventGaps = 0;
  streamErrors = 0;
  readonly failuresByStatus: Record<string, number> = {};
  private readonly fixToEventUs: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  private readonly ackUs: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  /** The first message seen per status, so a report says why fixes failed, not only how many. */
  readonly firstFailureDetails: Record<string, string> = {};

  countFailure(code: number, details?: string): void {
    const name = status[code] ?? String(code);
    this.failuresByStatus[name] = (this.failuresByStatus[name] ?? 0) + 1;
    if (details !== undefined) this.firstFailureDetails[name] ??= details;
  }

  recordFixToEvent(ms: number): void {
    this.fixToEventUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  recordAck(ms: number): void {
    this.ackUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  fixToEventMs(p: number): number | undefined {
    return this.fixToEventUs.totalCount === 0 ? undefined : this.fixToEventUs.getValueAtPercentile(p) / 1000;
  }

  ackMs(p: number): number | undefined {
    return this.ackUs.totalCount === 0 ? undefined : this.ackUs.getValueAtPercentile(p) / 1000;
  }

  get fixToEventSamples(): number {
    return this.fixToEventUs.totalCount;
  }
}
