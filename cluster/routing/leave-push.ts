import type { StoreOp } from '../../actors/runtime/port.js';
import { buildRing, ownerOf } from '../placement/ring.js';
import { encodeRequest } from './claim-batch.js';
import { exportActor, sessionOp, type ExportedSession } from './handoff.js';
import { systemEnvelope } from './replies.js';
import type { RoutingContext } from './context.js';
import { CLAIM_KIND } from './system-messages.js';
import { MSGPACK } from './wire-codec.js';

/**
 * Graceful leave, cold actors: before the leave is announced, every actor this node owns that exists only in its
 * store (passivated, or written before the last ring change) is pushed to its owner in the ring without this node,
 * which keeps it as a candidate its later claim finds (the newest seq wins, as in `termOps`). Active actors were
 * drained first, so their final snapshots are in the store too.
 *
 * Why batched `$claim` envelopes on the link and not the `ClusterLink.Handoff` stream: the link is ordered, so a
 * push arrives after every replication this node sent the same peer earlier (a late replica write of an older seq
 * cannot land after the push); and a `HandoffChunk` has no seq or session fields, which the receiver needs.
 */

/** Exports per push envelope, and their encoded size cap (the link writes batches of up to 256 KiB). */
export const PUSH_BATCH_ACTORS = 256;
export const PUSH_BATCH_BYTES = 128 * 1024;
/** Attempts per push envelope before its actors are left in this node's store (logged as an error). */
const PUSH_ATTEMPTS = 3;

/** One pushed actor on the wire. */
export interface PushedActor {
  readonly kind: string;
  readonly key: string;
  readonly seq: number;
  readonly snapshot: Uint8Array;
  readonly session?: ExportedSession;
}

export interface LeavePushResult {
  /** Actors this node owned and found in its store. */
  readonly owned: number;
  /** Of those, the ones the receivers took as newer than what they held. */
  readonly accepted: number;
  /** Pushed but not needed (the receiver held the same or a newer seq). */
  readonly skipped: number;
  /** Not delivered: they stay in this node's store only. */
  readonly failed: number;
  /** Push envelopes sent, and the bytes of the actors in them (the link must carry each: see PUSH_BATCH_BYTES). */
  readonly batches: number;
  readonly bytes: number;
}

/** Pushes every stored actor this node owns to its next owner, at most `handoffActorsPerSec`. */
export async function pushOnLeave(r: RoutingContext): Promise<LeavePushResult> {
  const result = { owned: 0, accepted: 0, skipped: 0, failed: 0, batches: 0, bytes: 0 };
  const listed = r.store.inner.listActors?.();
  const others = r.ring.members.filter((m) => m !== r.nodeId);
  if (listed === undefined || others.length === 0) {
    if (listed === undefined) r.logger.warn({ node: r.nodeId }, 'leave: the store cannot list its actors; cold actors stay behind');
    return result;
  }
  const after = buildRing(others, r.ring.vnodesPerMember);
  const perOwner = new Map<string, Array<readonly [string, string]>>();
  for (const { kind, key } of listed) {
    if (r.kindEntry(kind) === undefined || ownerOf(r.ring, kind, key) !== r.nodeId) continue;
    result.owned++;
    const to = ownerOf(after, kind, key);
    let list = perOwner.get(to);
    if (list === undefined) perOwner.set(to, (list = []));
    list.push([kind, key]);
  }
  const startMs = Date.now();
  let sent = 0;
  for (const [to, refs] of perOwner) {
    let batch: PushedActor[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const dueMs = startMs + (sent * 1000) / r.options.handoffActorsPerSec;
      if (dueMs > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueMs - Date.now()));
      sent += batch.length;
      result.batches++;
      result.bytes += bytes;
      const outcome = await pushBatch(r, to, batch);
      if (outcome === undefined) result.failed += batch.length;
      else {
        result.accepted += outcome.accepted;
        result.skipped += outcome.skipped;
      }
      batch = [];
      bytes = 0;
    };
    for (const [kind, key] of refs) {
      const exported = exportActor(r.store.inner, r.kindEntry(kind)!.def, key);
      if (exported.snapshot === undefined) continue;
      batch.push({ kind, key, seq: exported.seq, snapshot: exported.snapshot, ...(exported.session && { session: exported.session }) });
      bytes += exported.snapshot.length + (exported.session?.value.length ?? 0) + kind.length + key.length + 32;
      if (batch.length >= PUSH_BATCH_ACTORS || bytes >= PUSH_BATCH_BYTES) await flush();
    }
    await flush();
  }
  const log = result.failed > 0 ? r.logger.error.bind(r.logger) : r.logger.info.bind(r.logger);
  log({ node: r.nodeId, ...result }, 'leave: stored actors pushed to their next owners');
  return result;
}

async function pushBatch(r: RoutingContext, to: string, batch: PushedActor[]): Promise<{ accepted: number; skipped: number } | undefined> {
  const payload = encodeRequest({ t: 'push', actors: batch });
  let last: unknown;
  for (let attempt = 0; attempt < PUSH_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    try {
      const reply = await r.transport.ask(to, systemEnvelope(r.nodeId, CLAIM_KIND, payload), Date.now() + r.options.peerRequestTimeoutMs);
      if (reply.errorCode !== '') throw new Error(`${reply.errorCode}: ${reply.errorMessage}`);
      return MSGPACK.decode(reply.payload) as { accepted: number; skipped: number };
    } catch (err) {
      last = err;
    }
  }
  r.logger.error({ peer: to, actors: batch.length, err: last }, 'leave: push failed; those actors stay in this store only');
  return undefined;
}

/**
 * Keeps pushed actors that are newer than what this store holds (by seq); one commit. An actor this node has
 * claimed or is claiming is skipped: its claim already asked the leaving node, which gave up its state then.
 */
export async function receivePush(r: RoutingContext, actors: readonly unknown[], claimed: (kind: string, key: string) => boolean): Promise<{ accepted: number; skipped: number }> {
  const store = r.store.inner;
  const nowMs = Date.now();
  const ops: StoreOp[] = [];
  let accepted = 0;
  for (const a of actors as PushedActor[]) {
    const def = r.kindEntry(a.kind)?.def;
    if (def === undefined || claimed(a.kind, a.key) || !(a.snapshot instanceof Uint8Array)) continue;
    const local = storedSeq(store, a.kind, a.key);
    if (a.seq > local) {
      ops.push({ t: 'snapshot', kind: a.kind, key: a.key, bytes: a.snapshot, seq: a.seq, pruneAfterSeq: a.seq });
      accepted++;
    } else if (a.seq < local || a.session === undefined) continue;
    // Equal seq: the same state (e.g. this node is its replica); the session goes with the newer state or the later expiry.
    if (def.session === undefined) continue;
    const mine = store.readSession(a.kind, a.key);
    if (a.seq > local || mine === undefined || mine.expiresAtMs < nowMs + (a.session?.ttlLeftMs ?? 0)) {
      const op = sessionOp(store, a.kind, a.key, a.session, nowMs);
      if (op !== undefined) ops.push(op);
    }
  }
  if (ops.length > 0) await store.commit(ops);
  return { accepted, skipped: actors.length - accepted };
}

/** Highest seq this store holds for the actor (snapshot or journal); -1 when none. */
function storedSeq(store: RoutingContext['store']['inner'], kind: string, key: string): number {
  const snap = store.readSnapshot(kind, key);
  const tail = store.readJournal(kind, key, snap?.seq ?? 0);
  return tail.length > 0 ? tail[tail.length - 1]!.seq : (snap?.seq ?? -1);
}
