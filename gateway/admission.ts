/**
 * Admission at the player edge: a node past its capacity refuses a call at once (RESOURCE_EXHAUSTED, with a retry
 * hint) instead of queueing it until its deadline. Calls in flight are what a node has promised to answer; capping
 * them caps the memory and the queueing delay behind them (Little's law: at throughput X, a cap of N means at most
 * N / X of waiting), so goodput stays at capacity while the excess is turned away in microseconds. A phone told
 * RESOURCE_EXHAUSTED backs off and retries; nothing was applied.
 */

/** Unary player calls (ReportFix, reads) one node handles at once; the next is refused. @default 256 */
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 256;
/** Event streams one node sets up at once (token, notifier, the player's profile, which may cross a node); the next is refused. A set-up waits on a peer under load, so this is as wide as the unary gate. @default 256 */
export const DEFAULT_MAX_STREAM_SETUPS_IN_FLIGHT = 256;
/** What a refusal suggests a client waits before retrying, in ms (`grpc-retry-pushback-ms`). @default 200 */
export const DEFAULT_RETRY_PUSHBACK_MS = 200;

/** The call was refused at admission: this node is at capacity. Nothing was applied; retry with backoff. */
export class NodeAtCapacityError extends Error {
  override readonly name = 'NodeAtCapacityError';
  constructor(readonly what: string, readonly limit: number, readonly retryPushbackMs: number) {
    super(`node at capacity: ${limit} ${what} in flight`);
  }
}

/** One bounded pool of calls in flight, with a count of refusals for /metrics. */
export class AdmissionGate {
  private inFlight = 0;
  /** Calls refused since start. */
  refused = 0;
  /** The answer to every refusal: one error per gate, not a stack trace per refused call (an overloaded node refuses thousands a second). */
  readonly refusal: NodeAtCapacityError;

  constructor(what: string, private readonly limit: number, retryPushbackMs = DEFAULT_RETRY_PUSHBACK_MS) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`${what} limit must be a positive integer, got ${limit}`);
    this.refusal = new NodeAtCapacityError(what, limit, retryPushbackMs);
  }

  /** Takes a slot (true), or counts a refusal (false: answer `refusal`); call `leave()` exactly once per slot taken. */
  tryEnter(): boolean {
    if (this.inFlight >= this.limit) {
      this.refused++;
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
