import type { ActorRef, Clock, Logger } from '../../actors/runtime/port.js';
import type { ActorHost } from '../../actors/runtime/port.js';

/** Pump period of the rate limiter, in ms: each tick drains `actorsPerSec * tickMs / 1000` actors. */
const TICK_MS = 100;

/**
 * Drains actors this node no longer owns (mailbox handled, final snapshot, out of memory) at most
 * `handoffActorsPerSec`, so a join does not stall the node with thousands of snapshots at once. A claimant that
 * wants one sooner drains it directly (`answerClaim`).
 */
export class Releaser {
  private readonly queue: ActorRef[] = [];
  private readonly queued = new Set<string>();
  private timer: unknown;
  private inFlight: Promise<unknown> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly host: ActorHost, private readonly actorsPerSec: number, private readonly clock: Clock, private readonly logger: Logger) {}

  release(refs: readonly ActorRef[]): void {
    for (const ref of refs) {
      const id = `${ref.kind}/${ref.key}`;
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.queue.push(ref);
    }
    if (this.queue.length > 0 && this.timer === undefined) this.timer = this.clock.setInterval(() => this.tick(), TICK_MS);
  }

  /** Drains every active actor (graceful leave) at the same rate; resolves when none is left. */
  async releaseAll(): Promise<void> {
    for (;;) {
      const active = this.host.activeActors();
      if (active.length === 0 && this.queue.length === 0 && this.inFlight === undefined) return;
      this.release(active);
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queued.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private tick(): void {
    if (this.inFlight !== undefined) return;
    const n = Math.max(1, Math.floor((this.actorsPerSec * TICK_MS) / 1000));
    const batch = this.queue.splice(0, n);
    if (batch.length === 0) {
      this.clock.clearInterval(this.timer);
      this.timer = undefined;
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.inFlight = Promise.all(
      batch.map((ref) =>
        this.host.deactivate(ref).catch((err: unknown) => this.logger.warn({ actor: `${ref.kind}/${ref.key}`, err }, 'handoff drain failed')),
      ),
    ).finally(() => {
      for (const ref of batch) this.queued.delete(`${ref.kind}/${ref.key}`);
      this.inFlight = undefined;
    });
  }
}
