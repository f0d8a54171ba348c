import type { Awareness } from './awareness.js';
import type { BroadcastQueue } from './broadcast_queue.js';
import type { Clock } from './clock.js';
import { suspicionTimeoutMs, type MembershipConfig } from './config.js';
import type { MemberEvent, MemberEvents } from './events.js';
import type { MemberState, MemberWire, Message } from './messages.js';
import type { MembershipMetrics } from './metrics.js';
import { Suspicion } from './suspicion.js';

/** One member as this node holds it. */
export interface MemberRecord {
  id: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  changedAtMs: number;
  meta?: string;
  suspicion?: Suspicion;
}

/** What the member table needs from the membership that owns it. */
export interface MemberTableDeps {
  readonly id: string;
  readonly addr: string;
  readonly meta: string | undefined;
  readonly config: MembershipConfig;
  readonly clock: Clock;
  readonly random: () => number;
  readonly awareness: Awareness;
  readonly events: MemberEvents;
  readonly counters: MembershipMetrics;
  readonly broadcasts: BroadcastQueue;
  /** False once the membership stopped: a suspicion timing out then declares nobody dead. */
  isRunning(): boolean;
  /** A member heard of for the first time (the prober fits it into its round). */
  added(id: string): void;
}

/**
 * The member table and the rules that change it, after hashicorp/memberlist state.go (aliveNode / suspectNode /
 * deadNode, refutation by incarnation). Every change is broadcast and emitted as a member event; the membership that
 * owns the table feeds it the messages it receives and sends what it queued.
 */
export class MemberTable {
  private hasLeft = false;
  private readonly id: string;
  private readonly config: MembershipConfig;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly awareness: Awareness;
  private readonly events: MemberEvents;
  private readonly counters: MembershipMetrics;
  private readonly broadcasts: BroadcastQueue;
  private readonly deps: MemberTableDeps;
  private readonly table = new Map<string, MemberRecord>();
  /** Called when a peer says this node is dead (see `onDeclaredDead`). */
  private readonly declaredDeadListeners = new Set<() => void>();
  /** While a packet is handled: members whose state it changed, with their state before it. */
  private priorStates: Map<string, MemberState | undefined> | undefined;

  constructor(deps: MemberTableDeps) {
    this.deps = deps;
    this.id = deps.id;
    this.config = deps.config;
    this.clock = deps.clock;
    this.random = deps.random;
    this.awareness = deps.awareness;
    this.events = deps.events;
    this.counters = deps.counters;
    this.broadcasts = deps.broadcasts;
    this.table.set(this.id, { id: this.id, addr: deps.addr, incarnation: 0, state: 'alive', changedAtMs: this.clock.now(), meta: deps.meta });
  }

  /** True after `leave`: from then on this node refutes nothing and takes no "declared dead" to heart. */
  get leaving(): boolean {
    return this.hasLeft;
  }

  // ---- reading the table ----

  values(): IterableIterator<MemberRecord> {
    return this.table.values();
  }

  /** Live members other than us (and `except`), in random order. */
  randomPeers(count: number, except?: string, includeRecentlyDead = false): MemberRecord[] {
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

  probeCandidates(): MemberRecord[] {
    return [...this.table.values()].filter((r) => r.id !== this.id && (r.state === 'alive' || r.state === 'suspect'));
  }

  get(id: string): MemberRecord | undefined {
    return this.table.get(id);
  }

  snapshot(): MemberWire[] {
    return [...this.table.values()].map((r) => ({ id: r.id, addr: r.addr, inc: r.incarnation, st: r.state, ...(r.meta !== undefined ? { meta: r.meta } : {}) }));
  }

  isKnown(id: string): boolean {
    return this.table.has(id);
  }

  deadAddresses(): string[] {
    return [...this.table.values()].filter((r) => r.state === 'dead').map((r) => r.addr);
  }

  liveCount(): number {
    let n = 0;
    for (const r of this.table.values()) if (r.state === 'alive' || r.state === 'suspect') n++;
    return n;
  }

  /** Forgets members dead or left for longer than `deadMemberRetentionMs`, so the table tracks the cluster, not its history. */
  reapDead(): void {
    const cutoff = this.clock.now() - this.config.deadMemberRetentionMs;
    for (const r of this.table.values()) if ((r.state === 'dead' || r.state === 'left') && r.changedAtMs < cutoff) this.table.delete(r.id);
  }

  /** The membership stopped: no suspicion may time out into a verdict. */
  cancelSuspicions(): void {
    for (const r of this.table.values()) r.suspicion?.cancel();
  }

  // ---- one packet at a time ----

  /** A packet's messages are about to be applied: `wasLive` answers as of before it, for its whole length. */
  beginPacket(): void {
    this.priorStates = new Map();
  }

  endPacket(): void {
    this.priorStates = undefined;
  }

  /** Whether `id` was a live member (alive or suspect) here before the packet being handled changed anything. */
  private wasLive(id: string): boolean {
    const state = this.priorStates?.has(id) ? this.priorStates.get(id) : this.table.get(id)?.state;
    return state === 'alive' || state === 'suspect';
  }

  // ---- being declared dead ----

  /** See `Membership.onDeclaredDead`. */
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

  // ---- state rules (memberlist state.go aliveNode / suspectNode / deadNode) ----

  /** This node leaves: marks itself left and queues the `dead` message that says so, which it returns. */
  leave(): Message {
    this.hasLeft = true;
    const self = this.table.get(this.id)!;
    const msg: Message = { t: 'dead', id: this.id, inc: self.incarnation, from: this.id };
    this.setState(self, 'left', self.incarnation);
    this.broadcasts.queue(this.id, msg);
    return msg;
  }

  /** memberlist mergeRemoteState: a remote "dead" becomes a suspicion here, so a live node can still refute. */
  merge(m: MemberWire, sender: string): void {
    if (m.id === this.id && m.st === 'dead') this.declaredDead(sender);
    if (m.st === 'alive') this.aliveNode(m.id, m.addr, m.inc, m.meta);
    else if (m.st === 'left') this.deadNode(m.id, m.inc, m.id);
    else this.suspectNode(m.id, m.inc, sender);
  }

  aliveNode(id: string, addr: string, inc: number, meta?: string): void {
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
      this.deps.added(id);
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

  suspectNode(id: string, inc: number, from: string): void {
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
      if (this.deps.isRunning() && r.state === 'suspect' && r.incarnation === inc) this.deadNode(id, inc, this.id);
    });
  }

  deadNode(id: string, inc: number, from: string): void {
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

  private setState(r: MemberRecord, state: MemberState, inc: number): void {
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
}
