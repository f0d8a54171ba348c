import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { status } from '@grpc/grpc-js';

/** LoadStats as plain data, for a load worker to send to its parent: counters, and histograms HDR-encoded. */
export interface LoadStatsSnapshot {
  fixesSent: number;
  fixesAcked: number;
  eventsReceived: number;
  eventGaps: number;
  streamErrors: number;
  /** Ticks on which a player sent no fix because the server had refused its last one as overloaded. */
  fixesPaused: number;
  failuresByStatus: Record<string, number>;
  firstFailureDetails: Record<string, string>;
  /** `encodeIntoCompressedBase64` of the histograms. */
  fixToEventUs: string;
  ackUs: string;
}

/** Counters and latency histograms of one load run (microsecond resolution, up to 60 s). */
export class LoadStats {
  fixesSent = 0;
  fixesAcked = 0;
  eventsReceived = 0;
  eventGaps = 0;
  streamErrors = 0;
  /** Ticks on which a player sent no fix because the server had refused its last one as overloaded. */
  fixesPaused = 0;
  readonly failuresByStatus: Record<string, number> = {};
  private readonly fixToEventUs: Histogram = latencyHistogram();
  private readonly ackUs: Histogram = latencyHistogram();

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

  snapshot(): LoadStatsSnapshot {
    return {
      fixesSent: this.fixesSent,
      fixesAcked: this.fixesAcked,
      eventsReceived: this.eventsReceived,
      eventGaps: this.eventGaps,
      streamErrors: this.streamErrors,
      fixesPaused: this.fixesPaused,
      failuresByStatus: { ...this.failuresByStatus },
      firstFailureDetails: { ...this.firstFailureDetails },
      fixToEventUs: encodeIntoCompressedBase64(this.fixToEventUs),
      ackUs: encodeIntoCompressedBase64(this.ackUs),
    };
  }

  /** Adds another process's stats (a load worker's) to these: counters summed, histograms merged. */
  add(other: LoadStatsSnapshot): void {
    this.fixesSent += other.fixesSent;
    this.fixesAcked += other.fixesAcked;
    this.eventsReceived += other.eventsReceived;
    this.eventGaps += other.eventGaps;
    this.streamErrors += other.streamErrors;
    this.fixesPaused += other.fixesPaused;
    for (const [name, n] of Object.entries(other.failuresByStatus)) this.failuresByStatus[name] = (this.failuresByStatus[name] ?? 0) + n;
    for (const [name, details] of Object.entries(other.firstFailureDetails)) this.firstFailureDetails[name] ??= details;
    this.fixToEventUs.add(decodeFromCompressedBase64(other.fixToEventUs));
    this.ackUs.add(decodeFromCompressedBase64(other.ackUs));
  }
}

function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}
