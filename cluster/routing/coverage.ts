import { ownerOf, type Ring } from '../placement/ring.js';
import { encodeRequest } from './claim-batch.js';
import { RemoteActorError } from './errors.js';
import { systemEnvelope } from './replies.js';
import type { RoutingContext } from './context.js';
import { CLAIM_KIND } from './system-messages.js';
import { MSGPACK } from './wire-codec.js';

/**
 * Ring coverage: the claim of a whole ring's share at once, so first activations in a stable cluster cost nothing.
 *
 * A per-actor claim (`claims.ts`) asks every peer to give an actor up before its first message here. Its two jobs
 * are a fence (no peer still hosts the actor) and a state fetch (a peer may hold newer state). After a ring change
 * this node asks each peer ONE question instead, naming the ring by its checksum: "for everything I own by this
 * ring, drain what you host and list what you store". A peer answers only when its own ring is the same one, so it
 * owns none of that share and will not activate any of it without our consent (it would have to claim it from us,
 * and we refuse while we own it). Once every peer has answered, an actor of our share that no peer listed is
 * settled here without a claim: nobody hosts it and nobody holds state for it but us. Listed actors still take the
 * per-actor claim (and the hints prefetch them). This is Akka's shard hand-off and Orleans' directory partition
 * hand-over, done per ring epoch rather than per shard.
 *
 * Coverage is for one ring epoch of this node and its claim peers at that time: a ring change, a new claim peer or
 * a quorum loss ends it (a majority may have moved our share on while we were cut off, then handed it back under a
 * ring with the same checksum). Until a round completes, every actor goes through the per-actor claim as before.
 */

/** Stored or hosted actors one peer may list in a coverage answer; past it the peer answers `unlisted`. @default 50000 */
export const COVER_MAX_REFS = 50_000;
/** First pause before asking a peer again after it refused or did not answer, in ms (doubles per round). @default 100 */
const COVER_RETRY_BASE_MS = 100;
/** Longest pause between coverage rounds, in ms. @default 2000 */
const COVER_RETRY_MAX_MS = 2_000;
/** Stored actors examined between yields to the event loop while answering. @default 2000 */
const LIST_SLICE = 2_000;

/** A coverage answer: `held` are actors of the claimant's share this peer hosted (now drained) or stores. */
export type CoverAnswer =
  | { readonly ok: true; readonly held: ReadonlyArray<readonly [string, string]> }
  /** `ring`: the peer's ring is another one (ask again); `unlisted`: it cannot list what it stores (too much, or a store without a listing). */
  | { readonly ok: false; readonly reason: 'ring' | 'unlisted' };

/** The settled view of one completed round. */
interface Covered {
  readonly epoch: number;
  /** The ring of that epoch. */
  readonly ring: Ring;
  /** Actors some peer listed: they still need a per-actor claim. Shrinks as those claims succeed. */
  readonly held: Set<string>;
}

/** Claimant side: runs one coverage round per ring epoch and says which actors it settles. */
export class RingCoverage {
  private covered: Covered | undefined;
  /** Bumped when a round must stop (new epoch, new peers, quorum lost, stop). */
  private generation = 0;
  /** Epoch and peers of the round running or completed. */
  private roundEpoch = -1;
  private roundPeers = '';

  /** `onCovered(held)` runs when a round completes, before any actor is settled by it. */
  constructor(private readonly router: RoutingContext, private readonly onCovered: (held: Set<string>) => void) {}

  /** True when the completed round of the current epoch settles `kind/key` (= `id`) without a claim: ours, not held. */
  settles(kind: string, key: string, id: string): boolean {
    const c = this.covered;
    return c !== undefined && c.epoch === this.router.epoch && !c.held.has(id) && this.router.serving && this.router.isOwner(kind, key);
  }

  /**
   * The completed round is of an earlier epoch than the router's (the ring just changed): `settledBefore` still
   * answers for it until `reconsider` drops it.
   */
  get outdated(): boolean {
    return this.covered !== undefined && this.covered.epoch !== this.router.epoch;
  }

  /** True when the completed round (of whatever epoch) settled `kind/key` (= `id`) here: ours by its ring, not held. */
  settledBefore(kind: string, key: string, id: string): boolean {
    const c = this.covered;
    return c !== undefined && !c.held.has(id) && ownerOf(c.ring, kind, key) === this.router.nodeId;
  }

  /** True when a round of the current epoch has completed. */
  get complete(): boolean {
    return this.covered !== undefined && this.covered.epoch === this.router.epoch;
  }

  /** A per-actor claim of `id` succeeded: it no longer needs one this epoch. */
  claimed(id: string): void {
    this.covered?.held.delete(id);
  }

  /** Membership, ring or quorum changed: start a round for the new epoch or peer set; drop coverage without quorum. */
  reconsider(): void {
    const r = this.router;
    if (!r.serving) return this.stop();
    const peers = r.claimPeers().sort().join(',');
    if (this.roundEpoch === r.epoch && this.roundPeers === peers) return;
    this.stop();
    this.roundEpoch = r.epoch;
    this.roundPeers = peers;
    const generation = this.generation;
    void this.run(r.epoch, r.ring, r.claimPeers(), generation).catch((err: unknown) => r.logger.warn({ err }, 'ring coverage abandoned'));
  }

  stop(): void {
    this.generation++;
    this.covered = undefined;
    this.roundEpoch = -1;
    this.roundPeers = '';
  }

  private async run(epoch: number, ring: Ring, peers: readonly string[], generation: number): Promise<void> {
    const r = this.router;
    const checksum = ring.checksum;
    const held = new Set<string>();
    let waiting = [...peers];
    for (let round = 0; waiting.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(COVER_RETRY_MAX_MS, COVER_RETRY_BASE_MS * 2 ** (round - 1))));
      if (generation !== this.generation) return;
      const answers = await Promise.allSettled(waiting.map((peer) => this.ask(peer, checksum)));
      if (generation !== this.generation) return;
      const again: string[] = [];
      for (const [i, a] of answers.entries()) {
        if (a.status === 'rejected' || (!a.value.ok && a.value.reason === 'ring')) again.push(waiting[i]!);
        else if (a.value.ok) for (const [kind, key] of a.value.held) held.add(`${kind}/${key}`);
        else {
          // This epoch is carried by per-actor claims (and the hints), as without coverage.
          r.logger.info({ peer: waiting[i], epoch, reason: a.value.reason }, 'ring coverage: the peer cannot list our share; claiming per actor this epoch');
          return;
        }
      }
      waiting = again;
    }
    if (generation !== this.generation || r.epoch !== epoch) return;
    this.onCovered(held);
    this.covered = { epoch, ring, held };
    r.logger.debug({ epoch, checksum, peers, held: held.size }, 'ring covered');
  }

  private async ask(peer: string, checksum: string): Promise<CoverAnswer> {
    const r = this.router;
    const reply = await r.transport.ask(peer, systemEnvelope(r.nodeId, CLAIM_KIND, encodeRequest({ t: 'cover', ring: checksum })), r.clock.now() + r.options.peerRequestTimeoutMs);
    if (reply.errorCode !== '') throw new RemoteActorError(reply.errorCode, reply.errorMessage, peer);
    return MSGPACK.decode(reply.payload) as CoverAnswer;
  }
}

/**
 * Peer side: answers a coverage request of `from` for the ring `checksum`. Refuses unless this node's ring is that
 * one. Otherwise drains every actor it hosts that `from` owns by that ring, and lists those and every stored actor
 * `from` owns (state `from` may lack: a share this node held before, or replicas written by an owner since gone).
 */
export async function answerCover(r: RoutingContext, checksum: string, from: string): Promise<CoverAnswer> {
  if (r.ring.checksum !== checksum) return { ok: false, reason: 'ring' };
  const ring = r.ring;
  const theirs = (kind: string, key: string) => r.kindEntry(kind) !== undefined && ownerOf(ring, kind, key) === from;
  const held = new Map<string, readonly [string, string]>();
  const hosted = r.host.activeActors().filter((a) => theirs(a.kind, a.key));
  await Promise.all(hosted.map((a) => r.host.deactivate(a)));
  for (const a of hosted) held.set(`${a.kind}/${a.key}`, [a.kind, a.key]);
  const listed = r.store.inner.listActors?.();
  if (listed === undefined) return { ok: false, reason: 'unlisted' };
  let n = 0;
  for (const { kind, key } of listed) {
    if (++n % LIST_SLICE === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      if (r.ring.checksum !== checksum) return { ok: false, reason: 'ring' };
    }
    if (theirs(kind, key)) held.set(`${kind}/${key}`, [kind, key]);
    if (held.size > COVER_MAX_REFS) return { ok: false, reason: 'unlisted' };
  }
  // The ring may have changed while draining or listing: then this answer would speak for a ring we left.
  if (r.ring.checksum !== checksum) return { ok: false, reason: 'ring' };
  return { ok: true, held: [...held.values()] };
}
