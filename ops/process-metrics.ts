import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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
