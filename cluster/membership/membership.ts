import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast_queue.js';
import type { Clock, TimerHandle } from './clock.js';
import { retransmitLimit, suspicionTimeoutMs, validateMembershipConfig, type MembershipConfig } from './config.js';
import { MemberEvents, type MemberEvent } from './events.js';
import { byteLength, type MemberState, type MemberWire, type Message, type Packet } from './messages.js';
import { PACKET_OVERHEAD_BYTES, PacketAuth } from './packet_auth.js';
import { Prober } from './prober.js';
import { PushPull } from './push_pull.js';
import { Suspicion } from './suspicion.js';
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

interface Record {
  id: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  changedAtMs: number;
  meta?: string;
  suspicion?: Suspicion;
}

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
 * SWIM with the Lifeguard refinements, after hashicorp/memberlist (state.go). This file owns the member table
 * and the rules that change it; `Prober` runs the failure detector; `BroadcastQueue` the dissemination.
 */
export class Membership {
  readonly id: string;
  readonly config: MembershipConfig;
  readonly awareness: Awareness;
  readonly events = new MemberEvents();
  /** Called when a peer says this node is dead (see `onDeclaredDead`). */
  private readonly declaredDeadListeners = new Set<() => void>();
  /** While a packet is handled: members whose state it changed, with their state before it. */
  private priorStates: Map<string, MemberState | undefined> | undefined;
  private readonly table = new Map<string, Record>();
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
  private leaving = false;

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
    this.broadcasts = new BroadcastQueue(() => retransmitLimit(this.config.retransmitMult, this.liveCount()));
    this.prober = new Prober(this, this.clock, this.counters);
    this.sync = new PushPull(this);
    const now = this.clock.now();
    if (options.meta !== undefined && Buffer.byteLength(options.meta) > MAX_MEMBER_META_BYTES) {
      throw new RangeError(`membership meta: at most ${MAX_MEMBER_META_BYTES} bytes, got ${Buffer.byteLength(options.meta)}`);
    }
    this.table.set(this.id, { id: this.id, addr: this.transport.address, incarnation: 0, state: 'alive', changedAtMs: now, meta: options.meta });
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
      this.reapDead();
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
    if (!this.running || this.leaving) return;
    this.leaving = true;
    const self = this.table.get(this.id)!;
    const msg: Message = { t: 'dead', id: this.id, inc: self.incarnation, from: this.id };
    this.setState(self, 'left', self.incarnation);
    this.broadcasts.queue(this.id, msg);
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
    for (const r of this.table.values()) r.suspicion?.cancel();
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
  randomPeers(count: number, except?: string, includeRecentlyDead = false): Record[] {
    const now = this.clock.now();
    const pool = [...this.table.values()].filter(
      (r) =>
        r.id !== this.id &&
        r.id !== except &&
        (r.state === 'alive' || r.state === 'suspect' || (includeRecentlyDead && now - r.changedAtMs < this.config.gossipToTheDeadMs)),
    );
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, count);
  }

  probeCandidates(): Array<{ id: string; addr: string; incarnation: number }> {
    return [...this.table.values()].filter((r) => r.id !== this.id && (r.state === 'alive' || r.state === 'suspect'));
  }

  memberById(id: string): { id: string; addr: string; incarnation: number; state: MemberState } | undefined {
    return this.table.get(id);
  }

  suspectAfterProbe(id: string, incarnation: number): void {
    if (this.running) this.suspectNode(id, incarnation, this.id);
  }

  /**
   * Evidence from outside the probe cycle that an alive member's process is gone (its node-link port refused a
   * connection): suspect it now, as a failed probe would. Suspicion runs its usual course: the member refutes it if
   * it is alive, and is declared dead only when the suspicion timeout passes. Returns true if a suspicion started.
   */
  suspectUnreachable(id: string): boolean {
    const r = this.table.get(id);
    if (!this.running || r === undefined || id === this.id || r.state !== 'alive') return false;
    this.suspectNode(id, r.incarnation, this.id);
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
    this.priorStates = new Map();
    for (const msg of opened.m) {
      try {
        this.handle(msg, opened, from);
      } catch {
        // Authenticated but not understood (a newer or buggy peer): drop the message, never the node.
        this.counters.packetsMalformed++;
      }
    }
    this.priorStates = undefined;
  }

  /** Whether `id` was a live member (alive or suspect) here before the packet being handled changed anything. */
  private wasLive(id: string): boolean {
    const state = this.priorStates?.has(id) ? this.priorStates.get(id) : this.table.get(id)?.state;
    return state === 'alive' || state === 'suspect';
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
        return this.aliveNode(msg.id, msg.addr, msg.inc, msg.meta);
      case 'suspect':
        return this.suspectNode(msg.id, msg.inc, msg.from);
      case 'dead':
        return this.deadNode(msg.id, msg.inc, msg.from);
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
    this.declaredDeadListeners.add(listener);
    return () => this.declaredDeadListeners.delete(listener);
  }

  /**
   * Only a declarer this node counted live before the packet: one it holds dead is on the far side of a cut that just
   * healed (a minority that declared the majority dead moved nothing), and its news of us is as old as the cut.
   */
  private declaredDead(by: string): void {
    if (this.leaving || !this.wasLive(by)) return;
    for (const l of this.declaredDeadListeners) {
      try {
        l();
      } catch (err) {
        queueMicrotask(() => {
          throw new Error(`declared-dead listener failed (declared by ${by})`, { cause: err });
        });
      }
    }
  }

  /** memberlist mergeRemoteState: a remote "dead" becomes a suspicion here, so a live node can still refute. */
  merge(m: MemberWire, sender: string): void {
    if (m.id === this.id && m.st === 'dead') this.declaredDead(sender);
    if (m.st === 'alive') this.aliveNode(m.id, m.addr, m.inc, m.meta);
    else if (m.st === 'left') this.deadNode(m.id, m.inc, m.id);
    else this.suspectNode(m.id, m.inc, sender);
  }

  snapshot(): MemberWire[] {
    return [...this.table.values()].map((r) => ({ id: r.id, addr: r.addr, inc: r.incarnation, st: r.state, ...(r.meta !== undefined ? { meta: r.meta } : {}) }));
  }

  isKnown(id: string): boolean {
    return this.table.has(id);
  }

  isRunning(): boolean {
    return this.running;
  }

  now(): number {
    return this.clock.now();
  }

  deadAddresses(): string[] {
    return [...this.table.values()].filter((r) => r.state === 'dead').map((r) => r.addr);
  }

  /** Forgets members dead or left for longer than `deadMemberRetentionMs`, so the table tracks the cluster, not its history. */
  private reapDead(): void {
    const cutoff = this.clock.now() - this.config.deadMemberRetentionMs;
    for (const r of this.table.values()) if ((r.state === 'dead' || r.state === 'left') && r.changedAtMs < cutoff) this.table.delete(r.id);
  }

  // ---- state rules (memberlist state.go aliveNode / suspectNode / deadNode) ----

  private aliveNode(id: string, addr: string, inc: number, meta?: string): void {
    if (id === this.id) {
      if (this.leaving) return;
      const self = this.table.get(this.id)!;
      if (addr !== self.addr) {
        this.counters.impersonationsRefuted++;
        return this.refute(Math.max(inc, self.incarnation));
      }
      if (inc > self.incarnation) return this.refute(inc);
      return;
    }
    const r = this.table.get(id);
    if (!r) {
      if (this.priorStates !== undefined && !this.priorStates.has(id)) this.priorStates.set(id, undefined);
      this.table.set(id, { id, addr, incarnation: inc, state: 'alive', changedAtMs: this.clock.now(), meta });
      this.prober.added(id);
      this.broadcasts.queue(id, { t: 'alive', id, addr, inc, meta });
      this.events.emit({ type: 'alive', id, addr, incarnation: inc, atMs: this.clock.now() });
      return;
    }
    if (inc <= r.incarnation) {
      if (inc < r.incarnation) this.counters.staleMessages++;
      return;
    }
    r.addr = addr;
    if (meta !== undefined) r.meta = meta;
    this.broadcasts.queue(id, { t: 'alive', id, addr, inc, meta: r.meta });
    this.setState(r, 'alive', inc);
  }

  private suspectNode(id: string, inc: number, from: string): void {
    const r = this.table.get(id);
    if (!r) return;
    if (inc < r.incarnation) return void this.counters.staleMessages++;
    if (id === this.id) {
      if (this.leaving) return;
      this.counters.suspicionsRefuted++;
      this.awareness.applyDelta(1);
      return this.refute(inc);
    }
    if (r.state === 'suspect' && inc === r.incarnation) {
      if (r.suspicion?.confirm(from)) this.broadcasts.queue(id, { t: 'suspect', id, inc, from });
      return;
    }
    if (r.state === 'dead' || r.state === 'left') return;
    if (from === this.id) this.counters.suspicionsRaised++;
    const n = this.liveCount();
    // Expect suspicionMult - 2 confirmations; fewer members than that (minus us and the suspect) can't give them.
    let k = this.config.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const minMs = suspicionTimeoutMs(this.config.suspicionMult, n, this.config.probeIntervalMs);
    const maxMs = this.config.suspicionMaxTimeoutMult * minMs;
    this.broadcasts.queue(id, { t: 'suspect', id, inc, from });
    this.setState(r, 'suspect', inc);
    r.suspicion = new Suspicion(from, k, minMs, maxMs, this.clock, () => {
      if (this.running && r.state === 'suspect' && r.incarnation === inc) this.deadNode(id, inc, this.id);
    });
  }

  private deadNode(id: string, inc: number, from: string): void {
    const r = this.table.get(id);
    if (!r) return;
    // Before the staleness check: a death declared before our last refutation still means peers may have moved our actors.
    if (id === this.id && from !== id) this.declaredDead(from);
    if (inc < r.incarnation) return void this.counters.staleMessages++;
    if (r.state === 'dead' || r.state === 'left') return;
    if (id === this.id) {
      if (this.leaving) return;
      this.counters.deathsRefuted++;
      return this.refute(inc);
    }
    // A verdict from a member we hold dead comes from the far side of a cut (a flapping partition relays it at once):
    // it knows nothing of a member we still see, and acting on it drops a live peer and our quorum with it.
    if (from !== this.id && from !== id && !this.wasLive(from)) return void this.counters.staleMessages++;
    if (from === this.id) this.counters.deathsDeclared++;
    this.broadcasts.queue(id, { t: 'dead', id, inc, from });
    this.setState(r, from === id ? 'left' : 'dead', inc);
  }

  private refute(accusedInc: number): void {
    const self = this.table.get(this.id)!;
    self.incarnation = Math.max(self.incarnation, accusedInc) + 1;
    this.broadcasts.queue(this.id, { t: 'alive', id: this.id, addr: self.addr, inc: self.incarnation, meta: self.meta });
  }

  private setState(r: Record, state: MemberState, inc: number): void {
    r.suspicion?.cancel();
    r.suspicion = undefined;
    const changed = r.state !== state;
    if (changed && this.priorStates !== undefined && !this.priorStates.has(r.id)) this.priorStates.set(r.id, r.state);
    r.incarnation = inc;
    r.state = state;
    if (!changed) return;
    r.changedAtMs = this.clock.now();
    this.events.emit({ type: state, id: r.id, addr: r.addr, incarnation: inc, atMs: r.changedAtMs } satisfies MemberEvent);
  }

  private liveCount(): number {
    let n = 0;
    for (const r of this.table.values()) if (r.state === 'alive' || r.state === 'suspect') n++;
    return n;
  }
}
