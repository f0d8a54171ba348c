import { EMPTY_QUEUE, type Activation, type KindRuntime } from './activation.js';
import type { AskReply } from './ask-reply.js';
import type { GroupCommit } from './group-commit.js';
import type { PassivationWheel } from './passivation-wheel.js';
import type { Scheduler } from './scheduler.js';
import type { ActorRef, Clock, Logger } from './types.js';

export interface PassivationDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The host's registered kinds, each with its live activations. */
  readonly kinds: ReadonlyMap<string, KindRuntime>;
  readonly commits: GroupCommit;
  /** Filled by the scheduler as actors activate; collected here every `tickMs`. */
  readonly wheel: PassivationWheel<Activation>;
  readonly scheduler: Scheduler;
  readonly tickMs: number;
}

/**
 * How activations leave memory: idle ones found by the timer wheel are snapshotted and retired; a handoff deactivates
 * one on request; a failed commit retires the actors it involved so they reload from the store; a node that can no
 * longer trust its memory discards them all.
 */
export class Passivation {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly kinds: ReadonlyMap<string, KindRuntime>;
  private readonly commits: GroupCommit;
  private readonly wheel: PassivationWheel<Activation>;
  private readonly scheduler: Scheduler;
  private readonly tickTimer: unknown;

  constructor(deps: PassivationDeps) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.kinds = deps.kinds;
    this.commits = deps.commits;
    this.wheel = deps.wheel;
    this.scheduler = deps.scheduler;
    this.tickTimer = this.clock.setInterval(() => this.tick(), deps.tickMs);
  }

  /** Stops the wheel's timer (the host is closing). */
  stop(): void {
    this.clock.clearInterval(this.tickTimer);
  }

  /** See `ActorHost.deactivate`. */
  async deactivate(ref: ActorRef<any, any>): Promise<void> {
    for (;;) {
      const a = this.kinds.get(ref.kind)?.actors.get(ref.key);
      if (a === undefined || this.scheduler.closed) return;
      if (a.busy || a.scheduled || a.passivating || a.head < a.tail) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        this.passivate(a, (err) => (err === undefined ? resolve() : reject(err)));
        this.commits.flush();
      });
    }
  }

  /** See `ActorHost.discardAll`. */
  discardAll(reason: (actorId: string) => Error): number {
    let dropped = 0;
    let tellsDropped = 0;
    for (const rt of this.kinds.values()) {
      for (const a of rt.actors.values()) {
        const err = reason(a.id);
        a.discarded = err;
        a.dead = true;
        for (let i = a.head + 1; i < a.tail; i += 2) {
          const reply = a.q[i] as AskReply | undefined;
          if (reply === undefined) tellsDropped++;
          else reply.reject(err);
        }
        a.q = EMPTY_QUEUE;
        a.head = a.tail = 0;
        dropped++;
      }
      rt.actors.clear();
    }
    this.scheduler.activeCount -= dropped;
    if (tellsDropped > 0) this.logger.warn({ activations: dropped, tellsDropped }, 'activations discarded: queued tells dropped unhandled');
    return dropped;
  }

  /** The commit of these actors' writes failed: their memory is ahead of the store, so the idle ones reload from it. */
  commitFailed(actors: readonly Activation[]): void {
    for (const a of actors) if (!a.dead && !a.passivating && !a.busy) this.retire(a);
  }

  private tick(): void {
    const now = this.clock.now();
    let passivated = false;
    for (const actor of this.wheel.collect(now)) {
      if (actor.dead || actor.passivating) continue;
      const dueMs = actor.lastActivityMs + actor.rt.passivationIdleMs;
      if (actor.busy || actor.scheduled || actor.head < actor.tail || dueMs > now) {
        this.wheel.add(actor, dueMs);
        continue;
      }
      this.passivate(actor);
      passivated = true;
    }
    if (passivated) this.commits.flush();
  }

  /** Snapshots and retires `actor`; `settled` (if given) runs once it is retired, or with the error of its snapshot. */
  private passivate(actor: Activation, settled?: (err?: unknown) => void): void {
    actor.passivating = true;
    actor.writeSnapshot();
    actor.lastBatch!.hold(
      {
        resolve: () => {
          this.retire(actor);
          settled?.();
        },
        reject: (err: unknown) => {
          settled?.(err);
          this.logger.error({ actor: actor.id, err }, 'passivation snapshot failed; actor stays active');
          actor.passivating = false;
          this.wheel.add(actor, this.clock.now() + actor.rt.passivationIdleMs);
          this.scheduler.afterAsync(actor);
        },
      },
      undefined,
      actor.id,
    );
  }

  /**
   * Drops the activation. Messages that arrived meanwhile (during its passivation snapshot) move, in order, to
   * a new activation loaded from the store, so each is handled exactly once.
   */
  private retire(actor: Activation): void {
    // Discarded meanwhile (its passivation snapshot was in flight): already out of memory, its mailbox answered.
    if (actor.dead) return;
    actor.dead = true;
    actor.rt.actors.delete(actor.key);
    this.scheduler.activeCount--;
    if (actor.head >= actor.tail) return;
    const { q, head, tail } = actor;
    actor.q = EMPTY_QUEUE;
    actor.head = actor.tail = 0;
    let next: Activation;
    try {
      next = this.scheduler.activateNew(actor.rt, actor.key);
    } catch (err) {
      for (let i = head + 1; i < tail; i += 2) (q[i] as AskReply | undefined)?.reject(err);
      return;
    }
    next.q = q;
    next.head = head;
    next.tail = tail;
    this.scheduler.schedule(next);
  }
}
