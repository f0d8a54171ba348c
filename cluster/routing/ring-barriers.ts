import { ownerOf, type Ring } from '../placement/ring.js';
import { HandoffPendingError } from './errors.js';

/** Messages held while barriers are pending, across all peers, before new ones are refused. */
export const MAX_HELD_MESSAGES = 10_000;

interface Pending {
  readonly ring: Ring;
  readonly waiting: Set<string>;
  /** Per old owner, the sends held until it confirms, in order. */
  readonly held: Map<string, Array<() => void>>;
}

/**
 * Per-sender FIFO across ring changes. A message this node sent to the old owner B may still be on its way (B then
 * forwards it to the new owner C) when the ring changes here; a later message sent straight to C could overtake it.
 * So on a ring change this node sends B a barrier behind everything it sent B so far, and holds (in order) every
 * message that starts here for a key whose owner moved away from B. B answers the barrier only after every live peer
 * answered a probe that B sent behind whatever it forwarded to it: then all that went through B has reached its next
 * node, and the held messages are sent on the new path. Links are FIFO, so nothing is overtaken. (Akka's shard
 * regions buffer during a handoff for the same reason.)
 *
 * A barrier that fails (B unreachable, gone, or past the peer deadline) releases the held messages: what was in
 * flight to B is lost with B anyway (tells are at most once; asks fail and their callers retry).
 */
export class RingBarriers {
  private readonly pending: Pending[] = [];
  private heldCount = 0;

  constructor(private readonly nodeId: string, private readonly sendBarrier: (peer: string) => Promise<void>) {}

  /** True while some barrier is pending; lets the hot path skip `hold`. */
  get active(): boolean {
    return this.pending.length > 0;
  }

  /** This node's ring moved on from `old`: a barrier to each of old's other live members. */
  ringChanged(old: Ring, live: ReadonlySet<string>): void {
    const waiting = new Set(old.members.filter((m) => m !== this.nodeId && live.has(m)));
    if (waiting.size === 0) return;
    const entry: Pending = { ring: old, waiting, held: new Map() };
    this.pending.push(entry);
    for (const peer of waiting) {
      this.sendBarrier(peer)
        .catch(() => undefined)
        .finally(() => this.release(entry, peer));
    }
  }

  /** Members that are no longer live confirm nothing: their held messages go on. */
  membersChanged(live: ReadonlySet<string>): void {
    for (const entry of [...this.pending]) for (const peer of [...entry.waiting]) if (!live.has(peer)) this.release(entry, peer);
  }

  /**
   * Holds `send` when a message that starts here for `(kind, key)` must wait for a barrier (its owner in a pending old
   * ring is a peer that has not confirmed). Returns false when it need not wait; throws `HandoffPendingError`
   * (retriable) when too many wait.
   */
  hold(kind: string, key: string, send: () => void): boolean {
    for (const entry of this.pending) {
      const owner = ownerOf(entry.ring, kind, key);
      if (owner === this.nodeId || !entry.waiting.has(owner)) continue;
      if (this.heldCount >= MAX_HELD_MESSAGES) throw new HandoffPendingError(`${kind}/${key}`, `${MAX_HELD_MESSAGES} messages already wait for ownership-change barriers`);
      let list = entry.held.get(owner);
      if (list === undefined) entry.held.set(owner, (list = []));
      list.push(send);
      this.heldCount++;
      return true;
    }
    return false;
  }

  /** Drops every pending barrier and releases what it held (close). */
  clear(): void {
    for (const entry of [...this.pending]) for (const peer of [...entry.waiting]) this.release(entry, peer);
  }

  private release(entry: Pending, peer: string): void {
    if (!entry.waiting.delete(peer)) return;
    if (entry.waiting.size === 0) {
      const i = this.pending.indexOf(entry);
      if (i >= 0) this.pending.splice(i, 1);
    }
    const held = entry.held.get(peer);
    entry.held.delete(peer);
    if (held === undefined) return;
    this.heldCount -= held.length;
    // In order; each may be held again by a later pending ring.
    for (const send of held) send();
  }
}
