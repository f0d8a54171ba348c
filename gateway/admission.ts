/**
 * Admission at the player edge: a node past its capacity refuses a call at once (RESOURCE_EXHAUSTED, with a retry
 * hint) instead of queueing it until its deadline. Calls in flight are what a node has promised to answer; capping
 * them caps the memory and the queueing delay behind them (Little's law: at throughput X, a cap of N means at most
 * N / X of waiting), so goodput stays at capacity while the excess is turned away in microseconds. A phone told
 * RESOURCE_EXHAUSTED backs off and retries; nothing was applied.
 *
 * A fixed cap is not enough on a machine whose cores the node shares (other nodes, NATS, the load): before the cap
 * binds, the event loop can fall seconds behind, and then every answer, refusals included, waits that long. So a
 * `LagGovernor` watches the loop's delay and narrows every gate while it exceeds its target (AIMD: a quarter off per
 * late interval, a twentieth of the cap back per quiet one), so the node refuses early enough that its refusals stay
 * fast and its goodput near capacity.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Unary player calls (ReportFix, reads) one node handles at once; the next is refused. @default 256 */
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 256;
/** Event streams one node sets up at once (token, notifier, the player's profile, which may cross a node); the next is refused. A set-up waits on a peer under load, so this is as wide as the unary gate. @default 256 */
export const DEFAULT_MAX_STREAM_SETUPS_IN_FLIGHT = 256;
/** What a refusal suggests a client waits before retrying, in ms (`grpc-retry-pushback-ms`). @default 200 */
export const DEFAULT_RETRY_PUSHBACK_MS = 200;

/** How often the governor reads the loop's delay and adjusts, in ms. */
const GOVERNOR_INTERVAL_MS = 100;
/** The loop-delay probe's resolution, in ms. */
const LAG_RESOLUTION_MS = 10;
/** A late interval multiplies the admitted share by this. */
const DECREASE = 0.75;
/** A quiet interval (delay under half the target) adds this to the admitted share. */
const INCREASE = 0.05;
/** The gates never narrow below this many calls in flight. */
const MIN_ADMITTED = 4;

/**
 * The share (0..1] of each gate's cap that is admitted now, from the event loop's delay (AIMD). `adjust(lagMs)` is
 * the pure step (tests drive it); `start()` feeds it from `monitorEventLoopDelay` every `GOVERNOR_INTERVAL_MS`.
 */
export class LagGovernor {
  share = 1;
  /** Intervals whose delay exceeded the target, since start (for /metrics and the bench). */
  lateIntervals = 0;
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly targetLagMs: number) {
    if (!Number.isFinite(targetLagMs) || targetLagMs <= 0) throw new RangeError(`targetLagMs must be a positive number of ms, got ${targetLagMs}`);
  }

  adjust(lagMs: number): void {
    if (lagMs > this.targetLagMs) {
      this.lateIntervals++;
      this.share = Math.max(0, this.share * DECREASE);
    } else if (lagMs < this.targetLagMs / 2) {
      this.share = Math.min(1, this.share + INCREASE);
    }
  }

  start(): void {
    if (this.timer !== undefined) return;
    const h = (this.histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS }));
    h.enable();
    this.timer = setInterval(() => {
      // The probe's own resolution is part of every sample: what lies beyond it is lag.
      const lagMs = h.count === 0 ? 0 : Math.max(0, h.percentile(99) / 1e6 - LAG_RESOLUTION_MS);
      h.reset();
      this.adjust(lagMs);
    }, GOVERNOR_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
  }
}

/** The call was refused at admission: this node is at capacity. Nothing was applied; retry with backoff. */
export class NodeAtCapacityError extends Error {
  override readonly name = 'NodeAtCapacityError';
  constructor(readonly what: string, readonly limit: number, readonly retryPushbackMs: number, message = `node at capacity: ${limit} ${what} in flight`) {
    super(message);
  }
}

/** One bounded pool of calls in flight, with a count of refusals for /metrics. */
export class AdmissionGate {
  private inFlight = 0;
  /** Calls refused since start. */
  refused = 0;

  /** The answer to a refusal while the governor has narrowed the gate below its cap. */
  private readonly lagRefusal: NodeAtCapacityError;
  private lastRefusal: NodeAtCapacityError;

  constructor(what: string, private readonly limit: number, retryPushbackMs = DEFAULT_RETRY_PUSHBACK_MS, private readonly governor?: LagGovernor) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`${what} limit must be a positive integer, got ${limit}`);
    this.lastRefusal = this.capRefusal = new NodeAtCapacityError(what, limit, retryPushbackMs);
    this.lagRefusal = new NodeAtCapacityError(what, limit, retryPushbackMs, `node at capacity: its event loop is behind (over ${governor?.targetLagMs ?? 0} ms), so fewer ${what} are admitted`);
  }

  private readonly capRefusal: NodeAtCapacityError;

  /** The answer to the latest refusal: one error per gate and cause, not a stack trace per refused call. */
  get refusal(): NodeAtCapacityError {
    return this.lastRefusal;
  }

  /** The calls admitted at once now: the cap, narrowed by the governor while the loop is behind. */
  get admitted(): number {
    return this.governor === undefined || this.governor.share === 1 ? this.limit : Math.max(Math.min(MIN_ADMITTED, this.limit), Math.floor(this.limit * this.governor.share));
  }

  /** Takes a slot (true), or counts a refusal (false: answer `refusal`); call `leave()` exactly once per slot taken. */
  tryEnter(): boolean {
    if (this.inFlight >= this.limit) {
      this.refused++;
      this.lastRefusal = this.capRefusal;
      return false;
    }
    if (this.governor !== undefined && this.governor.share < 1 && this.inFlight >= this.admitted) {
      this.refused++;
      this.lastRefusal = this.lagRefusal;
      return false;
    }
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
  }

  get current(): number {
    return this.inFlight;
  }
}
