import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast_queue.js';
import type { Clock, TimerHandle } from './clock.js';
import { retransmitLimit, validateMembershipConfig, type MembershipConfig } from './config.js';
import { MemberEvents } from './events.js';
import { MemberTable, type MemberRecord } from './member_table.js';
import { byteLength, type MemberState, type MemberWire, type Message, type Packet } from './messages.js';
import { PACKET_OVERHEAD_BYTES, PacketAuth } from './packet_auth.js';
import { Prober } from './prober.js';
import { PushPull } from './push_pull.js';
import type { Transport } from './transport.js';
import { emptyMetrics, type MembershipMetrics } from './metrics.js';

export interface Member {
  readonly id: string;
  readonly addr: string;
  readonly incarnation: number;
  readonly state: MemberState;
  readonly changedAtMs: number;
  /** What the member said about itself at start (memberlist's NodeMeta); the node puts its gRPC address here. */
  readonly meta?: string;
}

/** Largest member metadata, in bytes: it rides in every alive message and push-pull entry. @default 256 */
export const MAX_MEMBER_META_BYTES = 256;

export interface MembershipOptions {
  id: string;
  clusterKey: string;
  config: MembershipConfig;
  transport: Transport;
  clock: Clock;
  /** Uniform [0, 1); seeded in simulations. @default Math.random */
  random?: () => number;
  /** This member's metadata, gossiped with its alive messages (at most MAX_MEMBER_META_BYTES). */
  meta?: string;
  /** Told of every packet dropped for a missing or wrong HMAC (another `cluster.key`), with the sender's address. */
  onUnauthenticated?: (from: string) => void;
}

/**
 * SWIM with the Lifeguard refinements, after hashicorp/memberlist (state.go). This file runs one member: its
 * lifecycle, its timers and its packets in and out. `MemberTable` owns the member table and the rules that change it;
 * `Prober` runs the failure detector; `PushPull` the full-state sync; `BroadcastQueue` the dissemination.
 */
export class Membership {
  readonly id: string;
  readonly config: MembershipConfig;
  readonly awareness: Awareness;
  readonly events = new MemberEvents();
  private readonly table: MemberTable;
  private readonly broadcasts: BroadcastQueue;
  private readonly auth: PacketAuth;
  private readonly prober: Prober;
  private readonly sync: PushPull;
  private readonly transport: Transport;
  private readonly clock: Clock;
  readonly random: () => number;
  private readonly counters: MembershipMetrics = emptyMetrics();
  private readonly timers = new Set<TimerHandle>();
  /** When an authenticated packet last came from each member, on our clock. */
  private readonly heardAtMs = new Map<string, number>();
  private readonly bootId: string;
  private readonly onUnauthenticated: ((from: string) => void) | undefined;
  private nonce = 0;
  private running = false;

  constructor(options: MembershipOptions) {
    this.id = options.id;
    this.config = validateMembershipConfig({ ...options.config });
    this.transport = options.transport;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.onUnauthenticated = options.onUnauthenticated;
    this.bootId = Math.floor(this.random() * 2 ** 32).toString(36);
    this.awareness = new Awareness(this.config.awarenessMaxMultiplier);
    this.auth = new PacketAuth(options.clusterKey, this.config.replayWindowMs);
    this.broadcasts = new BroadcastQueue(() => retransmitLimit(this.config.retransmitMult, this.table.liveCount()));
    this.prober = new Prober(this, this.clock, this.counters);
    this.sync = new PushPull(this);
    if (options.meta !== undefined && Buffer.byteLength(options.meta) > MAX_MEMBER_META_BYTES) {
      throw new RangeError(`membership meta: at most ${MAX_MEMBER_META_BYTES} bytes, got ${Buffer.byteLength(options.meta)}`);
    }
    this.table = new MemberTable({
      id: this.id,
      addr: this.transport.address,
      meta: options.meta,
      config: this.config,
      clock: this.clock,
      random: this.random,
      awareness: this.awareness,
      events: this.events,
      counters: this.counters,
      broadcasts: this.broadcasts,
      isRunning: () => this.running,
      added: (id) => this.prober.added(id),
    });
  }

  get address(): string {
    return this.transport.address;
  }

  members(): Member[] {
    return [...this.table.values()].map(({ id, addr, incarnation, state, changedAtMs, meta }) => ({ id, addr, incarnation, state, changedAtMs, meta }));
  }

  /** When an authenticated packet last came from `id` (ms on our clock), or undefined when none did. */
  lastHeardMs(id: string): number | undefined {
    return this.heardAtMs.get(id);
  }

  /** Members currently alive or suspect (a suspect still owns its actors until declared dead). */
  liveMembers(): Member[] {
    return this.members().filter((m) => m.state === 'alive' || m.state === 'suspect');
  }

  metrics(): MembershipMetrics {
    return { ...this.counters, localHealthScore: this.awareness.healthScore };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.transport.onPacket((raw, from) => this.receive(raw, from));
    this.prober.start();
    this.every(this.config.gossipIntervalMs, () => this.gossip());
    this.every(this.config.pushPullIntervalMs, () => {
      this.table.reapDead();
      this.sync.periodic();
    });
    this.events.emit({ type: 'alive', id: this.id, addr: this.address, incarnation: 0, atMs: this.clock.now() });
  }

  /** Exchanges full state with each seed; resolves with how many answered (0 after `joinTimeoutMs`). */
  join(seeds: string[]): Promise<number> {
    return this.sync.join(seeds);
  }

  /** Announces `left` directly to every live member and by gossip, then stops. */
  async leave(): Promise<void> {
    if (!this.running || this.table.leaving) return;
    const msg = this.table.leave();
    for (const m of this.liveMembers()) if (m.id !== this.id) this.send(m.addr, [msg], false);
    await new Promise<void>((resolve) => this.after(this.config.gossipIntervalMs * 2, resolve));
    await this.stop();
  }

  /** Stops timers and closes the transport without telling anyone (what a crash looks like to peers). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.sync.stop();
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.prober.stop();
    this.table.cancelSuspicions();
    await this.transport.close();
  }

  // ---- timers owned by this instance (all cleared by stop) ----

  after(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (this.running) fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  cancel(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.timers.delete(handle);
  }

  private every(ms: number, fn: () => void): void {
    const tick = (): void => {
      fn();
      this.after(ms, tick);
    };
    this.after(ms, tick);
  }

  // ---- sending ----

  /** Sends `msgs` and fills the rest of the datagram with queued broadcasts (piggybacking). */
  send(to: string, msgs: Message[], piggyback = true): void {
    if (!this.running) return;
    const packet: Packet = { f: this.id, a: this.address, ts: this.clock.now(), n: `${this.bootId}.${this.nonce++}`, m: msgs };
    if (piggyback) {
      const budget = this.config.maxPacketBytes - PACKET_OVERHEAD_BYTES - byteLength(packet);
      packet.m = msgs.concat(this.broadcasts.take(budget));
    }
    if (packet.m.length === 0) return;
    const sealed = this.auth.seal(packet);
    this.counters.packetsSent++;
    this.counters.bytesSent += sealed.length;
    this.transport.send(to, sealed);
  }

  /** Live members other than us (and `except`), in random order. */
  randomPeers(count: number, except?: string, includeRecentlyDead = false): MemberRecord[] {
    return this.table.randomPeers(count, except, includeRecentlyDead);
  }

  probeCandidates(): Array<{ id: string; addr: string; incarnation: number }> {
    return this.table.probeCandidates();
  }

  memberById(id: string): { id: string; addr: string; incarnation: number; state: MemberState } | undefined {
    return this.table.get(id);
  }

  suspectAfterProbe(id: string, incarnation: number): void {
    if (this.running) this.table.suspectNode(id, incarnation, this.id);
  }

  /**
   * Evidence from outside the probe cycle that an alive member's process is gone (its node-link port refused a
   * connection): suspect it now, as a failed probe would. Suspicion runs its usual course: the member refutes it if
   * it is alive, and is declared dead only when the suspicion timeout passes. Returns true if a suspicion started.
   */
  suspectUnreachable(id: string): boolean {
    const r = this.table.get(id);
    if (!this.running || r === undefined || id === this.id || r.state !== 'alive') return false;
    this.table.suspectNode(id, r.incarnation, this.id);
    return true;
  }

  private gossip(): void {
    if (this.broadcasts.size === 0) return;
    for (const peer of this.randomPeers(this.config.gossipNodes, undefined, true)) this.send(peer.addr, []);
  }

  // ---- receiving ----

  private receive(raw: Buffer, from: string): void {
    if (!this.running) return;
    const now = this.clock.now();
    const opened = this.auth.open(raw, now);
    if (opened === 'unauthenticated') {
      this.counters.packetsUnauthenticated++;
      return this.onUnauthenticated?.(from);
    }
    if (opened === 'malformed') return void this.counters.packetsMalformed++;
    if (opened === 'replayed') return void this.counters.packetsReplayed++;
    if (opened.f === this.id) return void this.counters.packetsImpersonating++;
    this.counters.packetsReceived++;
    this.heardAtMs.set(opened.f, now);
    this.sync.stranger(opened.f, from);
    this.table.beginPacket();
    for (const msg of opened.m) {
      try {
        this.handle(msg, opened, from);
      } catch {
        // Authenticated but not understood (a newer or buggy peer): drop the message, never the node.
        this.counters.packetsMalformed++;
      }
    }
    this.table.endPacket();
  }

  private handle(msg: Message, packet: Packet, from: string): void {
    switch (msg.t) {
      case 'ping':
        if (msg.target === this.id) this.send(from, [{ t: 'ack', seq: msg.seq }]);
        return;
      case 'ack':
        return this.prober.onAck(msg.seq);
      case 'nack':
        return this.prober.onNack(msg.seq);
      case 'pingReq':
        return this.prober.relay(msg.seq, msg.target, msg.addr, from);
      case 'alive':
        return this.table.aliveNode(msg.id, msg.addr, msg.inc, msg.meta);
      case 'suspect':
        return this.table.suspectNode(msg.id, msg.inc, msg.from);
      case 'dead':
        return this.table.deadNode(msg.id, msg.inc, msg.from);
      case 'pushPull':
        return this.sync.received(msg.members, msg.reply, packet.f, from);
    }
  }

  /**
   * Listens for a peer saying this node is dead (a `dead` broadcast about it, even one older than its last refutation,
   * or a push-pull state holding it dead) that this node counted live: its peers may have confirmed it gone and moved
   * its actors, and they take it back as soon as it refutes. The router rejoins then (cluster/routing/member-view.ts). Returns the unsubscriber.
   */
  onDeclaredDead(listener: () => void): () => void {
    return this.table.onDeclaredDead(listener);
  }

  /** memberlist mergeRemoteState: a remote "dead" becomes a suspicion here, so a live node can still refute. */
  merge(m: MemberWire, sender: string): void {
    this.table.merge(m, sender);
  }

  snapshot(): MemberWire[] {
    return this.table.snapshot();
  }

  isKnown(id: string): boolean {
    return this.table.isKnown(id);
  }

  isRunning(): boolean {
    return this.running;
  }

  now(): number {
    return this.clock.now();
  }

  deadAddresses(): string[] {
    return this.table.deadAddresses();
  }
}
