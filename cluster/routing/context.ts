import type { ActorRef, Clock, KindDef, Logger } from '../../actors/runtime/port.js';
import type { Ring } from '../placement/ring.js';
import type { Reply, Transport } from '../transport/transport.js';
import type { ActorHost } from '../../actors/runtime/port.js';
import type { MemberView } from './member-view.js';
import type { ResolvedRoutingOptions } from './options.js';
import type { ReplicatingStore } from './replicating-store.js';
import type { KindCodecs } from './wire-codec.js';

/** The callbacks of a routed ask; `deadlineMs` is on the wall clock (it crosses nodes). */
export interface PendingAsk {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  readonly deadlineMs: number;
}

export interface KindEntry {
  readonly def: KindDef<any, any, any, any, any>;
  readonly codecs: KindCodecs;
}

/**
 * What the routing helpers (claims, ring coverage, hints, the leave push) need of the node's router, and no more:
 * they depend on this, not on `ClusterRouter`, so the router is the only module that knows them all.
 */
export interface RoutingContext {
  readonly nodeId: string;
  readonly options: ResolvedRoutingOptions;
  readonly host: ActorHost;
  readonly store: ReplicatingStore;
  readonly transport: Transport;
  readonly logger: Logger;
  /** The node's clock: deadlines cross nodes, so it is the wall clock outside deterministic tests. */
  readonly clock: Clock;
  /** The ring this node routes by, and how often it changed since start. */
  readonly ring: Ring;
  readonly epoch: number;
  /** This node has quorum and is not leaving. */
  readonly serving: boolean;
  isOwner(kind: string, key: string): boolean;
  kindEntry(kind: string): KindEntry | undefined;
  /** Members that may host actors, this node excluded: a claim must hear from each. */
  claimPeers(): string[];
  /** Routes a message again from this node (one that waited for a claim that was abandoned). */
  route(ref: ActorRef<any, any>, msg: unknown, reply: PendingAsk | undefined): void;
}

/** What the handler of envelopes from peers (`inbound.ts`) needs besides: the view, the claims, the serving state. */
export interface InboundContext extends RoutingContext {
  readonly view: MemberView;
  /** The claims (`claims.ts`): local delivery waits behind a key's claim; `$claim` requests are answered there. */
  readonly claims: {
    deliver(ref: ActorRef<any, any>, msg: unknown, reply: PendingAsk | undefined): void;
    answer(payload: Uint8Array, from: string): Promise<Reply>;
  };
  readonly accepting: boolean;
  readonly handling: boolean;
  readonly unavailableReason: string;
  /** Holds a message that arrives while this node starts (`start-hold.ts`). */
  readonly startHold: { hold(deadlineMs: number): Promise<boolean> | undefined };
  askSystem(peer: string, kind: string, payload: Uint8Array): Promise<Uint8Array>;
}
