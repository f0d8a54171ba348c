import { ActorHost } from '../../actors/runtime/host.js';
import type { HostOptions } from '../../actors/runtime/options.js';
import type { ActorRef, ActorSystem, AskOptions } from '../../actors/runtime/types.js';

/**
 * The runtime's `ActorHost` with the hooks the router needs: handlers' `ctx.tell`/`ctx.ask` go through the router
 * (so an actor reaches actors on other nodes), `deliverTell`/`deliverAsk` are the local deliveries, and
 * `deactivate` drains one actor for handoff.
 *
 * Why a subclass reaching into the host's private fields: the runtime's files were not yet committed when this was
 * written, and its helper owns them; these hooks are meant to move into `ActorHost` as public methods.
 */
export class ClusterHost extends ActorHost {
  private outbound: ActorSystem | undefined;

  constructor(options: HostOptions) {
    super(options);
  }

  routeVia(system: ActorSystem): void {
    this.outbound = system;
  }

  /** Activations call `tell`/`ask` on their host for `ctx.tell`/`ctx.ask`: those go through the router. */
  override tell<M>(ref: ActorRef<M, any>, msg: M): void {
    if (this.outbound !== undefined) this.outbound.tell(ref, msg);
    else super.tell(ref, msg);
  }

  override ask<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R> {
    return this.outbound !== undefined ? this.outbound.ask(ref, msg, options) : super.ask(ref, msg, options);
  }

  deliverTell(ref: ActorRef<any, any>, msg: unknown): void {
    super.tell(ref, msg);
  }

  deliverAsk(ref: ActorRef<any, any>, msg: unknown, options?: AskOptions): Promise<unknown> {
    return super.ask(ref, msg, options);
  }

  isActive(ref: ActorRef<any, any>): boolean {
    return this.metrics(ref) !== undefined;
  }

  /**
   * Handles what is queued for the actor, writes its snapshot and drops it from memory. The caller has stopped
   * delivering to this host for the key. Resolves once the snapshot is committed; at once when it is not active.
   * Uses the host's own passivation (snapshot, then retire; messages that slip in move to a fresh activation).
   */
  async deactivate(ref: ActorRef<any, any>): Promise<void> {
    const self = this as any;
    for (;;) {
      const m = this.metrics(ref);
      if (m === undefined || self.closed) return;
      const a = self.kinds.get(ref.kind).actors.get(ref.key);
      if (m.mailboxDepth > 0 || m.busy || a.passivating || a.scheduled) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      self.passivate(a);
      self.flushBatch();
      while (!a.dead && a.passivating) await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }
}
