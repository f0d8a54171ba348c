import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/** Resolution of the event-loop delay monitor, in ms. @default 10 */
export const DEFAULT_LOOP_RESOLUTION_MS = 10;

export interface ProcessMetrics {
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop delay since the last reset, in ms (what Lifeguard and the load report call "lag"). */
  eventLoopLagP50Ms: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
}

/** Samples this process: memory, CPU and event-loop delay (one monitor per node, not a global). */
export class ProcessSampler {
  private readonly loop: IntervalHistogram;

  constructor(resolutionMs = DEFAULT_LOOP_RESOLUTION_MS) {
    this.loop = monitorEventLoopDelay({ resolution: resolutionMs });
    this.loop.enable();
  }

  /** Reads and, with `reset`, starts a new measurement window for the loop-delay percentiles. */
  sample(reset = false): ProcessMetrics {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const ns = (v: number) => (Number.isFinite(v) ? Math.round(v / 1e4) / 100 : 0);
    const out: ProcessMetrics = {
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      eventLoopLagP50Ms: ns(this.loop.percentile(50)),
      eventLoopLagP99Ms: ns(this.loop.percentile(99)),
      eventLoopLagMaxMs: ns(this.loop.max),
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
    };
    if (reset) this.loop.reset();
    return out;
  }

  stop(): void {
    this.loop.disable();
  }
}

/** The local store's commits since it opened: how many, their latency (call to committed), and the histogram itself. */
export interface StoreCommitMetrics {
  storeCommits: number;
  /** Absent until the first commit. */
  storeCommitP50Ms?: number;
  storeCommitP99Ms?: number;
  storeCommitMaxMs?: number;
  /**
   * The latency histogram (µs, HdrHistogram compressed base64): cumulative, so a reader takes the difference of two
   * readings (`decodeFromCompressedBase64`, `subtract`) for the percentiles of its own window.
   */
  storeCommitLatencyUs: string;
}

/**
 * Percentile `p` of a histogram of µs, in ms (2 decimals). HdrHistogram answers with the bucket's highest equivalent
 * value, which can lie above the largest value recorded: capped at that.
 */
export function percentileMs(us: Histogram, p: number): number {
  return usToMs(Math.min(us.getValueAtPercentile(p), us.maxValue));
}

function usToMs(us: number): number {
  return Math.round(us / 10) / 100;
}

export function storeCommitMetrics(latencyUs: Histogram): StoreCommitMetrics {
  const histogram = encodeIntoCompressedBase64(latencyUs);
  if (latencyUs.totalCount === 0) return { storeCommits: 0, storeCommitLatencyUs: histogram };
  return {
    storeCommits: latencyUs.totalCount,
    storeCommitP50Ms: percentileMs(latencyUs, 50),
    storeCommitP99Ms: percentileMs(latencyUs, 99),
    storeCommitMaxMs: usToMs(latencyUs.maxValue),
    storeCommitLatencyUs: histogram,
  };
}
