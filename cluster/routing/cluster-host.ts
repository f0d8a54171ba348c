import { ActorHost } from '../../actors/runtime/host.js';
import type { HostOptions } from '../../actors/runtime/options.js';
import type { ActorRef, ActorSystem, AskOptions } from '../../actors/runtime/types.js';

/**
 * The runtime's `ActorHost` with the hooks the router needs: handlers' `ctx.tell`/`ctx.ask` go through the router
 * (so an actor reaches actors on other nodes), `deliverTell`/`deliverAskInto` are the local deliveries, and
 * `deactivate` (the host's own) drains one actor for a handoff.
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

  /** A local ask, answered into the router's pending callbacks (no promise of its own). */
  deliverAskInto(ref: ActorRef<any, any>, msg: unknown, resolve: (value: unknown) => void, reject: (err: unknown) => void, timeoutMs: number): void {
    this.askInto(ref, msg, resolve, reject, timeoutMs);
  }
}
