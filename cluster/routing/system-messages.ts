import { MSGPACK } from './wire-codec.js';
import type { ReplicaOp } from './replicating-store.js';
import type { ExportedActor } from './handoff.js';

/**
 * Router-to-router requests ride the same link as actor envelopes, addressed to reserved kinds (a `$` cannot start
 * a kind name), so they share its ordering: a replication sent after an actor's writes arrives after them.
 */
export const REPLICATE_KIND = '$replicate';
export const CLAIM_KIND = '$claim';
/** A rejoining node asks its peers whether they serve and what their agreed member set is (`quorum.ts`). */
export const VIEW_KIND = '$view';
/** Ring-change barrier and its probe (`ring-barriers.ts`), for per-sender FIFO across ownership changes. */
export const BARRIER_KIND = '$barrier';

/** Answer to a claim: the peer still owns the actor by its ring, or gives up what it holds. */
export type ClaimAnswer = { readonly owner: true } | ({ readonly owner: false } & ExportedActor);

export function encodeOps(ops: ReplicaOp[]): Uint8Array {
  return MSGPACK.encode(ops);
}

export function decodeOps(bytes: Uint8Array): ReplicaOp[] {
  return MSGPACK.decode(bytes) as ReplicaOp[];
}
