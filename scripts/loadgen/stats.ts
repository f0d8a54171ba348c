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
  /** Event streams that ended with an error, by status, and the first message seen per status. */
  streamFailuresByStatus: Record<string, number>;
  firstStreamFailureDetails: Record<string, string>;
  /** Failures of fixes and streams by `kind status: details`, numbers as N but node ids kept (see `DETAIL_KINDS_MAX`). */
  failuresByDetails: Record<string, number>;
  /** `encodeIntoCompressedBase64` of the histograms. */
  fixToEventUs: string;
  ackUs: string;
  /** How long a fix refused RESOURCE_EXHAUSTED waited for its refusal. */
  refusalUs: string;
  /** From the commit that made an award event (the event's `atMs`, the node's clock) to its arrival at the player. */
  commitToEventUs: string;
}

/**
 * Distinct failure messages counted per process: enough to tell an episode's causes apart (owner unreachable, connection
 * reset, overload), bounded so that a message with a unique part cannot grow the stats without end.
 * @default 32
 */
const DETAIL_KINDS_MAX = 32;

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
  readonly streamFailuresByStatus: Record<string, number> = {};
  readonly firstStreamFailureDetails: Record<string, string> = {};
  /**
   * When each failed fix failed (Date.now()), in this process only (not in the snapshot): a worker sums it up into
   * a FailoverSummary (scripts/loadgen/failover.ts). A few numbers per failure; a healthy run has none.
   */
  readonly failureTimesMs: number[] = [];
  readonly failuresByDetails: Record<string, number> = {};
  private readonly fixToEventUs: Histogram = latencyHistogram();
  private readonly ackUs: Histogram = latencyHistogram();
  private readonly refusalUs: Histogram = latencyHistogram();
  private readonly commitToEventUs: Histogram = latencyHistogram();

  /** The first message seen per status, so a report says why fixes failed, not only how many. */
  readonly firstFailureDetails: Record<string, string> = {};

  countFailure(code: number, details?: string, atMs = Date.now()): void {
    const name = status[code] ?? String(code);
    this.failuresByStatus[name] = (this.failuresByStatus[name] ?? 0) + 1;
    if (details !== undefined) this.firstFailureDetails[name] ??= details;
    this.failureTimesMs.push(atMs);
    this.countDetails(`fix ${name}: ${details ?? ''}`);
  }

  /** An event stream ended with an error (it is also one of `streamErrors`). */
  countStreamFailure(code: number, details?: string): void {
    this.streamErrors++;
    const name = status[code] ?? String(code);
    this.streamFailuresByStatus[name] = (this.streamFailuresByStatus[name] ?? 0) + 1;
    if (details !== undefined) this.firstStreamFailureDetails[name] ??= details;
    this.countDetails(`stream ${name}: ${details ?? ''}`);
  }

  private countDetails(message: string, n = 1): void {
    // `chaos-3` names a node and stays; player ids, seqs and times become N.
    const key = message.replace(/(?<![A-Za-z]-\d*)\d+/g, 'N');
    if (key in this.failuresByDetails || Object.keys(this.failuresByDetails).length < DETAIL_KINDS_MAX) this.failuresByDetails[key] = (this.failuresByDetails[key] ?? 0) + n;
    else this.failuresByDetails['(other)'] = (this.failuresByDetails['(other)'] ?? 0) + n;
  }

  /** INTERNAL statuses seen by players, on fixes and on event streams: each is a server bug, never a load effect. */
  get internalErrors(): number {
    const name = status[status.INTERNAL]!;
    return (this.failuresByStatus[name] ?? 0) + (this.streamFailuresByStatus[name] ?? 0);
  }

  recordFixToEvent(ms: number): void {
    this.fixToEventUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** The notification part of a fix-to-event latency: commit (event `atMs`) to arrival, both on this machine's clock. */
  recordCommitToEvent(ms: number): void {
    this.commitToEventUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  commitToEventMs(p: number): number | undefined {
    return this.commitToEventUs.totalCount === 0 ? undefined : this.commitToEventUs.getValueAtPercentile(p) / 1000;
  }

  recordAck(ms: number): void {
    this.ackUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** A fix refused as overload (RESOURCE_EXHAUSTED): how fast the refusal came. */
  recordRefusal(ms: number): void {
    this.refusalUs.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  refusalMs(p: number): number | undefined {
    return this.refusalUs.totalCount === 0 ? undefined : this.refusalUs.getValueAtPercentile(p) / 1000;
  }

  /** The measured window opens: latencies count from here (the ramp-up's are a different load). */
  resetLatencies(): void {
    this.fixToEventUs.reset();
    this.ackUs.reset();
    this.refusalUs.reset();
    this.commitToEventUs.reset();
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
      streamFailuresByStatus: { ...this.streamFailuresByStatus },
      firstStreamFailureDetails: { ...this.firstStreamFailureDetails },
      failuresByDetails: { ...this.failuresByDetails },
      fixToEventUs: encodeIntoCompressedBase64(this.fixToEventUs),
      ackUs: encodeIntoCompressedBase64(this.ackUs),
      refusalUs: encodeIntoCompressedBase64(this.refusalUs),
      commitToEventUs: encodeIntoCompressedBase64(this.commitToEventUs),
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
    for (const [name, n] of Object.entries(other.streamFailuresByStatus)) this.streamFailuresByStatus[name] = (this.streamFailuresByStatus[name] ?? 0) + n;
    for (const [name, details] of Object.entries(other.firstStreamFailureDetails)) this.firstStreamFailureDetails[name] ??= details;
    for (const [key, n] of Object.entries(other.failuresByDetails)) this.countDetails(key, n);
    this.fixToEventUs.add(decodeFromCompressedBase64(other.fixToEventUs));
    this.ackUs.add(decodeFromCompressedBase64(other.ackUs));
    this.refusalUs.add(decodeFromCompressedBase64(other.refusalUs));
    this.commitToEventUs.add(decodeFromCompressedBase64(other.commitToEventUs));
  }
}

function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}
