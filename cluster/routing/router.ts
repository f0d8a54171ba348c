import { context } from '@opentelemetry/api';
import { startHopSpan } from './trace.js';
import { silentLogger, systemClock, type ActorRef, type ActorSystem, type AskOptions, type Clock, type KindDef, type Logger } from '../../actors/runtime/port.js';
import { systemEnvelope } from './replies.js';
import { buildRing, ownerOf, successors, DEFAULT_VNODES_PER_MEMBER, type Ring } from '../placement/ring.js';
import type { Envelope, Transport } from '../transport/transport.js';
export { systemEnvelope } from './replies.js';
import { Claims } from './claims.js';
import { handleEnvelope } from './inbound.js';
import type { ActorHost } from '../../actors/runtime/port.js';
import { LeaveIncompleteError, RemoteActorError, UnavailableError } from './errors.js';
import type { MemberSource } from './members.js';
import { planMoves, type MovePlan, type StoredActor } from './ownership-diff.js';
import { resolveRoutingOptions, type ResolvedRoutingOptions, type RoutingOptions } from './options.js';
import { MemberView } from './member-view.js';
import { RingBarriers } from './ring-barriers.js';
import { leaveRefusal, type PeerView, type ViewRequest } from './quorum.js';
import { ReplicationUnavailableError, type ReplicaOp, type ReplicaTargets, type ReplicatingStore } from './replicating-store.js';
import { Releaser } from './releaser.js';
import { pushOnLeave } from './leave-push.js';
import { decideRoute } from './route.js';
import { BARRIER_KIND, REPLICATE_KIND, VIEW_KIND, encodeOps } from './system-messages.js';
import { codecsOf, decodeWith, encodeWith, MSGPACK } from './wire-codec.js';
import { START_HOLD_MS, StartHold } from './start-hold.js';
import { sendRemote } from './send-remote.js';
import type { InboundContext, KindEntry, PendingAsk } from './context.js';
export type { KindEntry, PendingAsk } from './context.js';

export interface ClusterRouterOptions extends RoutingOptions {
  readonly nodeId: string;
  readonly host: ActorHost;
  /** The store the host commits through; replication hangs off it. */
  readonly store: ReplicatingStore;
  readonly transport: Transport;
  readonly members: MemberSource;
  /** gRPC address of a member's transport, fed by the node from membership metadata. */
  resolvePeerAddress(nodeId: string): string | undefined;
  readonly kinds: readonly KindDef<any, any, any, any, any>[];
  readonly vnodesPerMember?: number;
  /** A stall of this node longer than this is a quorum loss (`MemberView`). @default DEFAULT_STALL_LIMIT_MS */
  readonly stallLimitMs?: number;
  /** Not heard from a majority for this long, the node handles nothing (`MemberView`); absent: no lease. */
  readonly leaseMs?: number;
}


/**
 * Cluster-wide `ActorSystem`: a message for `(kind, key)` is delivered to the local host when this node owns the key
 * by its ring, else sent over the transport to the owner; a node that receives a message for a key it does not own
 * forwards it (at most `maxForwardHops` times). The host activates only keys this node has claimed in its current
 * ownership (see `claims.ts`), so there is one activation per key; a node without quorum hosts nothing.
 */
export class ClusterRouter implements ActorSystem, ReplicaTargets, InboundContext {
  readonly nodeId: string;
  readonly options: ResolvedRoutingOptions;
  readonly host: ActorHost;
  readonly store: ReplicatingStore;
  readonly transport: Transport;
  readonly view: MemberView;
  private readonly barriers: RingBarriers;
  private readonly resolvePeerAddress: (nodeId: string) => string | undefined;
  private readonly kinds = new Map<string, KindEntry>();
  private readonly vnodes: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly claims: Claims;
  private readonly releaser: Releaser;
  ring: Ring;
  epoch = 0;
  private readonly connected = new Set<string>();
  private leaving = false;
  private started = false;
  /** Messages for actors that arrive while this node starts wait for it to handle them (`start-hold.ts`). */
  readonly startHold: StartHold;

  constructor(o: ClusterRouterOptions) {
    this.options = resolveRoutingOptions(o);
    this.nodeId = o.nodeId;
    this.host = o.host;
    this.store = o.store;
    this.transport = o.transport;
    this.resolvePeerAddress = o.resolvePeerAddress;
    this.vnodes = o.vnodesPerMember ?? DEFAULT_VNODES_PER_MEMBER;
    this.clock = o.clock ?? systemClock();
    this.logger = o.logger ?? silentLogger;
    this.startHold = new StartHold(this.clock, this.clock.now() + START_HOLD_MS);
    for (const def of o.kinds) this.addKind(def);
    this.ring = buildRing([this.nodeId], this.vnodes);
    this.claims = new Claims(this);
    this.releaser = new Releaser(this.host, this.options.handoffActorsPerSec, this.clock, this.logger);
    this.barriers = new RingBarriers(this.nodeId, (peer) => this.askBarrier(peer, true));
    this.view = new MemberView({
      nodeId: this.nodeId,
      members: o.members,
      clock: this.clock,
      logger: this.logger,
      askView: (peer, rejoining) => this.askView(peer, rejoining),
      noticeRemoved: (peer) => {
        const req: ViewRequest = { removed: true };
        this.askSystem(peer, VIEW_KIND, MSGPACK.encode(req)).catch((err: unknown) => this.logger.debug({ peer, err }, 'rejoin notice not delivered; its $view polls will say so'));
      },
      changed: () => this.membersChanged(),
      ...(o.stallLimitMs !== undefined ? { stallLimitMs: o.stallLimitMs } : {}),
      ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
    });
  }

  get waitForReplica(): boolean {
    return this.options.durability === 'replicated';
  }

  /** Started and serving: envelopes for actors are delivered or forwarded, not refused. */
  get accepting(): boolean {
    return this.started && this.serving;
  }

  /** Accepting and not fenced (`MemberView.fenced`: not heard from a majority within the lease): messages are delivered or forwarded. */
  get handling(): boolean {
    return this.accepting && !this.view.fenced;
  }

  /** Why this node refuses to host actors, for UnavailableError. */
  get unavailableReason(): string {
    if (this.leaving) return 'leaving the cluster';
    if (this.started && this.serving && this.view.fenced) return 'not heard from a majority of the agreed members within the lease (this node may be cut off)';
    return this.started ? 'no quorum: fewer than half of the agreed members are live' : 'not joined to a cluster yet';
  }

  /** Routing started (the node joined its cluster, or started one). */
  get isStarted(): boolean {
    return this.started;
  }

  /** Serving: this node has quorum and is not leaving. */
  get serving(): boolean {
    return this.view.quorum && !this.leaving;
  }

  get liveIds(): ReadonlySet<string> {
    return this.view.live;
  }

  /** Members a claim must hear from (live ones and agreed ones whose failure is not yet confirmed), this node excluded. */
  claimPeers(): string[] {
    return this.view.claimPeers();
  }

  /** Call once membership has joined: takes the live view as the first agreed member set. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.host.routeVia(this);
    this.store.attach(this);
    this.transport.onEnvelope((env, from) => handleEnvelope(this, env, from));
    this.view.start();
  }

  /** Peer addresses changed (the node learned a member's grpc address): connect links that were missing. */
  peersChanged(): void {
    if (this.started) this.view.update();
  }

  /** Why an operator's leave of this node would take the cluster's service away (`quorum.ts`), or undefined. */
  leaveRefusal(): string | undefined {
    return leaveRefusal(this.nodeId, this.view.agreed, this.view.live, this.accepting);
  }

  /** Graceful leave, before membership announces it: stop serving, drain every actor (final snapshots replicated). */
  async leave(): Promise<void> {
    this.leaving = true;
    this.startHold.stop();
    this.claims.abortAll();
    await this.releaser.releaseAll();
    const pushed = await pushOnLeave(this);
    if (pushed.failed > 0) throw new LeaveIncompleteError(this.nodeId, pushed.failed, pushed.owned);
  }

  async close(): Promise<void> {
    this.startHold.stop();
    this.view.close();
    this.barriers.clear();
    this.claims.abortAll();
    this.releaser.stop();
  }

  ref<M, R>(kind: KindDef<any, M, R, any, any>, key: string): ActorRef<M, R> {
    this.addKind(kind);
    this.host.register(kind);
    return { kind: kind.name, key };
  }

  tell<M>(ref: ActorRef<M, any>, msg: M): void {
    this.route(ref, msg, undefined);
  }

  ask<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const deadlineMs = this.clock.now() + (options?.timeoutMs ?? this.options.askTimeoutMs);
      try {
        this.route(ref, msg, { resolve: resolve as (v: unknown) => void, reject, deadlineMs });
      } catch (err) {
        reject(err);
      }
    });
  }

  /** Where `(kind, key)` lives by this node's ring (for tests and the inspector). */
  ownerOf(kind: string, key: string): string {
    return ownerOf(this.ring, kind, key);
  }

  /** What a join or leave of `change` would move among `actors` (the CLI's dry-run). */
  dryRun(change: { join?: string; leave?: string }, actors: Iterable<StoredActor>): MovePlan {
    const ids = new Set(this.ring.members);
    if (change.join !== undefined) ids.add(change.join);
    if (change.leave !== undefined) ids.delete(change.leave);
    return planMoves(this.ring, buildRing(ids, this.vnodes), actors);
  }

  // ---- ReplicaTargets ----

  replicasOf(kind: string, key: string, exclude?: ReadonlySet<string>): readonly string[] {
    const want = this.options.replicationFactor - 1;
    if (want < 1 || this.ring.members.length < 2) return [];
    const owners = successors(this.ring, kind, key, this.ring.members.length);
    if (owners[0] !== this.nodeId) return [];
    // A successor whose link is down (crashed, not yet declared dead) is skipped for the next one, which gets a base.
    const out: string[] = [];
    for (let i = 1; i < owners.length && out.length < want; i++) {
      if (exclude?.has(owners[i]!)) continue;
      const state = this.transport.linkState(owners[i]!);
      if (state === 'up' || state === 'connecting') out.push(owners[i]!);
    }
    return out;
  }

  isOwner(kind: string, key: string): boolean {
    return ownerOf(this.ring, kind, key) === this.nodeId;
  }

  get expectsReplica(): boolean {
    return this.options.replicationFactor > 1 && this.ring.members.length > 1;
  }

  async replicate(nodeId: string, ops: ReplicaOp[]): Promise<void> {
    const env = systemEnvelope(this.nodeId, REPLICATE_KIND, encodeOps(ops));
    const hop = startHopSpan('replicate', nodeId, env.trace);
    const losses = this.view.quorumLosses;
    try {
      const reply = await this.transport.ask(nodeId, env, this.clock.now() + this.options.peerRequestTimeoutMs);
      if (reply.errorCode !== '') throw new RemoteActorError(reply.errorCode, reply.errorMessage, nodeId);
    } finally {
      hop?.end();
    }
    // A replica answer that crossed a quorum loss (a partition: the writes waited on a cut link and arrived after
    // the heal) does not acknowledge them: meanwhile the majority may have moved these actors on without them.
    if (this.view.quorumLosses !== losses || !this.view.quorum) throw new ReplicationUnavailableError(`quorum lost while replicating to ${nodeId}`);
  }

  onReplicationError(nodeId: string, err: unknown): void {
    this.logger.warn({ peer: nodeId, err }, 'replication failed');
  }

  // ---- routing ----

  kindEntry(kind: string): KindEntry | undefined {
    return this.kinds.get(kind);
  }

  private addKind(def: KindDef<any, any, any, any, any>): void {
    if (!this.kinds.has(def.name)) this.kinds.set(def.name, { def, codecs: codecsOf(def) });
  }

  /** Routes a message again from this node, e.g. one that waited for a claim that was abandoned. */
  route(ref: ActorRef<any, any>, msg: unknown, reply: PendingAsk | undefined): void {
    const d = decideRoute(this.ring, this.nodeId, ref.kind, ref.key, undefined, this.options.maxForwardHops, this.handling);
    // The ring changed and the key's old owner has not confirmed that earlier messages passed it: wait for that.
    if (this.barriers.active && d.t !== 'unavailable' && this.barriers.hold(ref.kind, ref.key, context.bind(context.active(), () => this.routeHeld(ref, msg, reply)))) return;
    if (d.t === 'local') return this.claims.deliver(ref, msg, reply);
    if (d.t !== 'remote') {
      const held = this.startHold.hold(reply?.deadlineMs ?? 0);
      if (held === undefined) throw new UnavailableError(this.nodeId, this.unavailableReason);
      const routeAgain = context.bind(context.active(), () => this.routeHeld(ref, msg, reply));
      void held.then((handling) => {
        if (handling) return routeAgain();
        const err = new UnavailableError(this.nodeId, this.unavailableReason);
        if (reply !== undefined) reply.reject(err);
        else this.logger.warn({ actor: `${ref.kind}/${ref.key}`, err }, 'held tell dropped');
      });
      return;
    }
    const entry = this.kinds.get(ref.kind);
    const codec = entry?.codecs.message ?? MSGPACK;
    const env: Envelope = { target: { kind: ref.kind, key: ref.key }, sender: this.nodeId, correlationId: 0, trace: {}, payload: encodeWith(codec, ref.kind, 'message', msg) as Buffer, hops: 0, deadlineMs: 0 };
    const hop = startHopSpan(ref.kind, d.to, env.trace);
    const decode = (bytes: Uint8Array) => decodeWith(entry?.codecs.reply ?? MSGPACK, ref.kind, 'reply', bytes);
    if (hop === undefined) return sendRemote(this.transport, d.to, env, reply, decode);
    const traced: PendingAsk | undefined = reply && {
      deadlineMs: reply.deadlineMs,
      resolve: (v) => (hop.end(), reply.resolve(v)),
      reject: (e) => (hop.end(), reply.reject(e)),
    };
    try {
      sendRemote(this.transport, d.to, env, traced, decode);
    } finally {
      if (reply === undefined) hop.end();
    }
  }

  /** A message released by a ring barrier: routed again; an error goes to the asker (a tell's is logged). */
  private routeHeld(ref: ActorRef<any, any>, msg: unknown, reply: PendingAsk | undefined): void {
    try {
      this.route(ref, msg, reply);
    } catch (err) {
      if (reply !== undefined) reply.reject(err);
      else this.logger.warn({ actor: `${ref.kind}/${ref.key}`, err }, 'held tell dropped');
    }
  }

  // ---- membership ----

  /** A system request to a peer (`system-messages.ts`); resolves with the reply's payload. */
  async askSystem(peer: string, kind: string, payload: Uint8Array): Promise<Uint8Array> {
    const reply = await this.transport.ask(peer, systemEnvelope(this.nodeId, kind, payload), this.clock.now() + this.options.peerRequestTimeoutMs);
    if (reply.errorCode !== '') throw new RemoteActorError(reply.errorCode, reply.errorMessage, peer);
    return reply.payload;
  }

  private async askBarrier(peer: string, relay: boolean): Promise<void> {
    await this.askSystem(peer, BARRIER_KIND, MSGPACK.encode({ relay }));
  }

  /** Asks a peer for its serving state, agreed set and live view (`member-view.ts`). */
  private async askView(peer: string, rejoining: boolean): Promise<PeerView> {
    const req: ViewRequest = { rejoining };
    return MSGPACK.decode(await this.askSystem(peer, VIEW_KIND, MSGPACK.encode(req))) as PeerView;
  }

  /** The member view changed: connect new peers, rebuild the ring, drop what this node no longer owns. */
  private membersChanged(): void {
    const live = this.view.live;
    for (const id of live) if (id !== this.nodeId && !this.connected.has(id)) this.connectPeer(id);
    for (const id of [...this.connected]) {
      if (live.has(id) || this.view.agreed.has(id)) continue;
      this.connected.delete(id);
      // Failure confirmed and its link down: fail what waits on the link now rather than at each deadline, so claims
      // waiting for its answer retry without it at once. A member that left may still answer (replication in flight).
      if (this.transport.linkState(id) !== 'up') void this.transport.disconnect(id).catch(() => undefined);
    }
    const ring = buildRing(this.view.ringMembers, this.vnodes);
    if (ring.checksum !== this.ring.checksum) {
      const old = this.ring;
      this.ring = ring;
      this.epoch++;
      this.barriers.ringChanged(old, live);
    }
    this.barriers.membersChanged(live);
    // Without quorum, a majority may already serve this node's actors from their replicas: what is in memory here is
    // dropped at once, its mailboxes unhandled (a drain would handle them beside the new owners, and a quick rejoin
    // would let the old activations serve on stale state). When it serves again, every key starts from a claim.
    if (!this.view.quorum) {
      const dropped = this.host.discardAll((id) => new UnavailableError(this.nodeId, `${this.unavailableReason}; ${id} was dropped from memory unhandled`));
      if (dropped > 0) this.logger.warn({ node: this.nodeId, dropped }, 'quorum lost: activations dropped without handling their mailboxes');
    }
    // Actors this node no longer owns are drained at `handoffActorsPerSec`.
    const owns = (kind: string, key: string) => this.serving && ownerOf(this.ring, kind, key) === this.nodeId;
    this.claims.reconsider(owns);
    this.releaser.release(this.host.activeActors().filter((r) => !owns(r.kind, r.key)));
    if (this.handling) this.startHold.handling();
  }

  private connectPeer(id: string): void {
    const address = this.resolvePeerAddress(id);
    if (address === undefined) return;
    this.connected.add(id);
    this.transport.connect(id, address).catch((err: unknown) => {
      this.connected.delete(id);
      this.logger.debug({ peer: id, err }, 'link connect abandoned');
    });
  }
}
