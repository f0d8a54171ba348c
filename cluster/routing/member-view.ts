import type { Clock, Logger } from '../../actors/runtime/port.js';
import type { MemberChange, MemberSource } from './members.js';
import { confirmedGone, hasQuorum, nextAgreed, rejoinAgreed, type PeerView, type ViewRequest } from './quorum.js';

/** While rejoining or confirming a failure, how often the live peers are asked for their view (`$view`), in ms. */
export const VIEW_POLL_INTERVAL_MS = 200;
/** How often the stall watchdog looks at the clock, in ms. */
export const STALL_CHECK_INTERVAL_MS = 100;
/**
 * A gap between two watchdog ticks longer than this means this process was stopped or starved (SIGSTOP, a long GC
 * pause, a VM freeze) long enough that its peers have likely declared it dead and moved its actors, in ms. A backstop:
 * a node hears a death declared about it (`onDeclaredDead`) when it continues; this catches one that heard nothing.
 * The node passes three times the soonest its peers can declare it dead (node/cluster.ts); a shorter limit made
 * nodes starved of CPU on a loaded machine rejoin for nothing. @default 2700 (the `local` preset's)
 */
export const DEFAULT_STALL_LIMIT_MS = 2_700;

export interface MemberViewOptions {
  readonly nodeId: string;
  readonly members: MemberSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Asks a peer for its view, saying whether this node is rejoining; rejects when it cannot be reached. */
  askView(peer: string, rejoining: boolean): Promise<PeerView>;
  /** Tells a member this node had dropped on failure and now sees live again that it must rejoin (best effort). */
  noticeRemoved(peer: string): void;
  /** Live members, agreed set or quorum may have changed (called after every recomputation). */
  changed(): void;
  /** A stall longer than this is handled as a quorum loss (see `DEFAULT_STALL_LIMIT_MS`). @default DEFAULT_STALL_LIMIT_MS */
  stallLimitMs?: number;
  /**
   * Not heard from a majority of the agreed set (itself included) for this long, the node is fenced: it handles
   * nothing until a majority counts it live again. Must be shorter than the soonest the majority can declare it dead
   * and take its actors over; the node passes half of that (node/cluster.ts). Absent: no lease (tests of the rest).
   */
  leaseMs?: number;
}

/**
 * The router's idea of the cluster: the live members (membership's view plus this node), the agreed member set
 * (the ring's members while serving) and whether this node has quorum (keep-majority, `quorum.ts`). A member this
 * node no longer sees live stays agreed until a majority confirms it gone (`confirmedGone`). A node that loses
 * quorum is `rejoining`: it serves again only once its view holds every member that may host actors
 * (`rejoinAgreed`). Both learn peers' views by asking the live peers every `VIEW_POLL_INTERVAL_MS`.
 *
 * A node that was stopped for longer than `stallLimitMs` also rejoins, whatever its view says: its view is as old as
 * the stall, and while it was stopped its peers may have declared it dead, moved its actors and, once it answered
 * again, taken it back as a member, so its activations are stale and a replica would accept their writes (found by
 * the `pause10s` nemesis scenario, test/testing/nemesis.test.ts). So does a node a peer declared dead without a stall
 * (random loss: the `loss30` scenario): it refutes and is taken back at once. Rejoining drains what it hosts, and
 * the actors it owns again are claimed, so the newest copy wins.
 */
export class MemberView {
  live = new Set<string>();
  agreed = new Set<string>();
  quorum = true;
  /**
   * Quorum, but no packet came from a majority of the agreed set (this node included) within the lease, and a
   * majority has not confirmed since that it still counts this node live: this node may be the cut-off side. It
   * handles nothing meanwhile, because the majority takes a member's actors over once it has declared it dead (a
   * suspicion timeout after its own first failed probe), later than the lease runs out here: the old owner stops
   * first. A peer may have declared this node dead without this node hearing it (the news lost in the cut), so the
   * fence lifts only once a view poll finds a majority that counts this node live; a serving peer that does not has
   * declared it dead, and this node rejoins (everything in memory dropped). Nothing is dropped for the lease alone.
   * (Fencing on suspicion as well was tried: under the headline load, gossiped suspicions fenced healthy nodes.)
   */
  fenced = false;
  rejoining = false;
  /** How often this node lost quorum: a write whose replica answered across a loss is not acknowledged. */
  quorumLosses = 0;
  private readonly left = new Set<string>();
  /** Members that were agreed and left the set (failure confirmed, or left) and are not live again. */
  private readonly departed = new Set<string>();
  /** Departed members that were dropped on failure (not a graceful leave). */
  private readonly failedOut = new Set<string>();
  /** Members dropped on failure and live again here that have not rejoined since: they must drop their memory. */
  private readonly readmitted = new Set<string>();
  private readonly views = new Map<string, PeerView>();
  private timer: unknown;
  private polling = false;
  private unsubscribe: (() => void) | undefined;
  private watchdog: unknown;
  private lastTickMs = 0;
  private startedMs = 0;
  private readonly stallLimitMs: number;

  constructor(private readonly o: MemberViewOptions) {
    this.stallLimitMs = o.stallLimitMs ?? DEFAULT_STALL_LIMIT_MS;
    if (!(Number.isFinite(this.stallLimitMs) && this.stallLimitMs > STALL_CHECK_INTERVAL_MS)) throw new RangeError(`stallLimitMs must be a number of ms above ${STALL_CHECK_INTERVAL_MS}, got ${this.stallLimitMs}`);
  }

  /** Takes the live view as the first agreed set (call once membership has joined). */
  start(): void {
    const offChange = this.o.members.onChange((c) => this.onChange(c));
    const offDead = this.o.members.onDeclaredDead?.(() => this.mustRejoin('declared dead by a peer: peers may have moved this node\'s actors; hosting nothing until rejoined', {}));
    this.unsubscribe = () => {
      offChange();
      offDead?.();
    };
    this.agreed = new Set(this.o.members.liveMemberIds());
    this.agreed.add(this.o.nodeId);
    this.lastTickMs = this.startedMs = this.o.clock.now();
    this.watchdog = this.o.clock.setInterval(() => this.checkStall(), STALL_CHECK_INTERVAL_MS);
    this.update();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.watchdog !== undefined) this.o.clock.clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.stopPolling();
  }

  /**
   * True for a member this node dropped from its agreed set (failure confirmed, or left) that is not live again: its
   * writes come from the far side of a cut. A member this node has not heard of yet (a joiner) is not departed.
   */
  isDeparted(id: string): boolean {
    return this.departed.has(id);
  }

  /**
   * A `$view` request from `from`: what this node reports to it, or (a notice) this node was dropped on failure by
   * `from` and taken back, and must rejoin. A rejoining asker has dropped its memory: it need not be told again.
   */
  answer(from: string, req: ViewRequest, serving: boolean): PeerView {
    if (req !== null && 'removed' in req) this.mustRejoin(`${from} had dropped this node on failure and took it back: it may have served this node's actors meanwhile; hosting nothing until rejoined`, { peer: from });
    else if (req?.rejoining === true) this.readmitted.delete(from);
    return { serving, agreed: [...this.agreed], live: [...this.live], rejoin: this.readmitted.has(from) };
  }

  /**
   * The ring's members: the agreed set (with quorum, it holds every live member). Without quorum nothing is routed,
   * but the ring stays the last agreed one, so writes an actor makes while it drains still need a replica on the other
   * side of the cut (and fail): a ring of this node alone would need none and acknowledge them.
   */
  get ringMembers(): ReadonlySet<string> {
    return this.quorum ? this.agreed : new Set([...this.agreed, ...this.live]);
  }

  /** Members that may host actors, this node excluded: every live or agreed one (a claim must hear from each). */
  claimPeers(): string[] {
    const out = new Set([...this.live, ...this.agreed]);
    out.delete(this.o.nodeId);
    return [...out];
  }

  /** Recomputes from membership (and peers' views while rejoining), then calls `changed`. */
  update(): void {
    this.live = new Set(this.o.members.liveMemberIds());
    this.live.add(this.o.nodeId);
    for (const id of this.views.keys()) if (!this.live.has(id)) this.views.delete(id);
    const before = this.agreed;
    if (this.rejoining) {
      const agreed = rejoinAgreed(this.o.nodeId, this.agreed, this.live, this.views);
      if (agreed !== undefined) {
        this.rejoining = false;
        this.agreed = agreed;
        this.o.logger.warn({ node: this.o.nodeId, agreed: [...agreed] }, 'rejoined: the view holds every member that may host actors');
      }
    } else {
      this.agreed = nextAgreed(this.agreed, this.live, this.left, confirmedGone(this.o.nodeId, this.agreed, this.live, this.views));
    }
    for (const id of this.left) this.agreed.delete(id);
    for (const id of before) {
      if (this.agreed.has(id)) continue;
      this.departed.add(id);
      if (!this.left.has(id)) this.failedOut.add(id);
    }
    for (const id of this.live) {
      this.departed.delete(id);
      // Dropped on failure and live again: it may have gone on serving from memory the actors we took over. It is
      // told now, and every `$view` answer says so until it asks as a rejoining node.
      if (id !== this.o.nodeId && this.failedOut.delete(id)) {
        this.readmitted.add(id);
        this.o.noticeRemoved(id);
      }
    }
    const quorum = !this.rejoining && hasQuorum(this.agreed, this.live);
    if (quorum !== this.quorum) this.o.logger.warn({ node: this.o.nodeId, quorum, live: [...this.live], agreed: [...this.agreed] }, quorum ? 'quorum regained' : 'quorum lost: hosting nothing until rejoined');
    if (this.quorum && !quorum) {
      this.quorumLosses++;
      this.rejoining = true;
      this.views.clear();
    }
    this.quorum = quorum;
    if (!quorum) this.setFenced(false, 'quorum lost');
    const unconfirmed = [...this.agreed].some((id) => !this.live.has(id));
    if (this.rejoining || unconfirmed || this.fenced) this.startPolling();
    else this.stopPolling();
    this.o.changed();
  }

  private setFenced(fenced: boolean, why: string): void {
    if (fenced === this.fenced) return;
    this.fenced = fenced;
    this.o.logger.warn({ node: this.o.nodeId, fenced }, why);
  }

  /**
   * After a poll while fenced: lift the fence once the lease holds again and a majority of the agreed set (this node
   * included) answered that it counts this node live; a serving peer that does not has declared it dead.
   */
  private reviewFence(): void {
    if (!this.fenced || !this.quorum) return;
    const self = this.o.nodeId;
    for (const [peer, v] of this.views) {
      if (v.serving && !v.live.includes(self)) return this.mustRejoin(`${peer} no longer counts this node live: it may have moved this node's actors; hosting nothing until rejoined`, { peer });
    }
    if (this.leaseExpired(this.o.clock.now())) return;
    const vouched = new Set([self]);
    for (const [peer, v] of this.views) if (v.live.includes(self)) vouched.add(peer);
    if (hasQuorum(this.agreed, vouched)) {
      this.setFenced(false, 'a majority counts this node live again: handling again');
      this.update();
    }
  }

  /** A stalled node loses quorum on the spot; one that has not heard from a majority within the lease is fenced. */
  private checkStall(): void {
    const now = this.o.clock.now();
    const gapMs = now - this.lastTickMs;
    this.lastTickMs = now;
    if (gapMs > this.stallLimitMs) return this.mustRejoin('stalled: peers may have moved this node\'s actors; hosting nothing until rejoined', { gapMs, stallLimitMs: this.stallLimitMs });
    // After a late tick the packets that came meanwhile may still be unread: judge the lease at the next one.
    if (gapMs > 2 * STALL_CHECK_INTERVAL_MS || this.fenced || !this.quorum || !this.leaseExpired(now)) return;
    // Judged again after the I/O already waiting is read (setImmediate runs after the poll phase): on a busy loop a
    // timer can run before the packets that would renew the lease are read.
    setImmediate(() => {
      if (this.fenced || !this.quorum || this.watchdog === undefined || !this.leaseExpired(this.o.clock.now())) return;
      this.setFenced(true, 'not heard from a majority of the agreed members within the lease: handling nothing until a majority counts this node live again');
      this.startPolling();
      this.o.changed();
    });
  }

  /** True when fewer than a majority of the agreed set (this node included) were heard from within `leaseMs`. */
  private leaseExpired(now: number): boolean {
    const leaseMs = this.o.leaseMs;
    const heardMs = this.o.members.lastHeardMs;
    if (leaseMs === undefined || heardMs === undefined) return false;
    const heard = new Set([this.o.nodeId]);
    for (const id of this.agreed) if (now - (heardMs.call(this.o.members, id) ?? this.startedMs) <= leaseMs) heard.add(id);
    return !hasQuorum(this.agreed, heard);
  }

  /** Nothing this node holds in memory is trusted until it has rejoined: the quorum-loss path, whatever the view says. */
  private mustRejoin(why: string, fields: object): void {
    if (!this.quorum) return;
    this.o.logger.warn({ node: this.o.nodeId, ...fields }, why);
    this.quorum = false;
    this.quorumLosses++;
    this.rejoining = true;
    this.views.clear();
    this.update();
  }

  private onChange(c: MemberChange): void {
    // Our own leave: the router stopped serving before announcing it; the view stays as it was.
    if (c.id === this.o.nodeId) return;
    if (c.state === 'left') this.left.add(c.id);
    else if (c.state === 'alive') this.left.delete(c.id);
    this.update();
  }

  private startPolling(): void {
    if (this.timer === undefined) this.timer = this.o.clock.setInterval(() => void this.poll(), VIEW_POLL_INTERVAL_MS);
  }

  private stopPolling(): void {
    if (this.timer !== undefined) this.o.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const peers = [...this.live].filter((id) => id !== this.o.nodeId);
      const answers = await Promise.allSettled(peers.map((p) => this.o.askView(p, this.rejoining)));
      answers.forEach((a, i) => {
        if (a.status === 'fulfilled') this.views.set(peers[i]!, a.value);
        else this.views.delete(peers[i]!);
      });
    } finally {
      this.polling = false;
    }
    if (this.timer === undefined) return;
    for (const [peer, v] of this.views) if (v.rejoin === true) this.mustRejoin(`${peer} had dropped this node on failure and took it back: it may have served this node's actors meanwhile; hosting nothing until rejoined`, { peer });
    this.reviewFence();
    this.update();
  }
}
