import { decodeSnapshot, decodeValue, encodeSnapshot, encodeValue, type SnapshotStore, type StoreOp } from '../../actors/runtime/port.js';
import type { KindDef } from '../../actors/runtime/port.js';

/**
 * Moving one actor's durable state between nodes. The exporter folds its snapshot and journal tail into one
 * snapshot (no journal crosses the wire) and adds its session; the new owner writes them as the start of its
 * ownership term.
 */

/**
 * Each ownership term starts this far above the highest seq anyone reported, so writes of the new owner always
 * outrank writes a cut-off old owner made but could not replicate (they were never acknowledged).
 */
export const TERM_SEQ_GAP = 1_000_000;

/** An actor's session as it crosses nodes: its expiry as time left, so the two nodes' clocks need not agree. */
export interface ExportedSession {
  readonly value: Uint8Array;
  /** Time until the session expires on the exporter's clock, in ms (> 0). */
  readonly ttlLeftMs: number;
}

export interface ExportedActor {
  /** Highest journal seq folded in; -1 when this node holds nothing for the actor. */
  readonly seq: number;
  /** `encodeSnapshot` of the folded state; absent when seq is -1. */
  readonly snapshot?: Uint8Array;
  /** The stored session, when one is stored and not expired. */
  readonly session?: ExportedSession;
}

/** Latest state this store holds for `(kind, key)`, folded into one snapshot, with its live session. Synchronous: LMDB reads. */
export function exportActor(store: SnapshotStore, def: KindDef<any, any, any, any, any>, key: string, nowMs = Date.now()): ExportedActor {
  const snap = store.readSnapshot(def.name, key);
  const tail = store.readJournal(def.name, key, snap?.seq ?? 0);
  if (snap === undefined && tail.length === 0) return { seq: -1 };
  let state = snap === undefined ? def.initialState(key) : snap.state;
  let seq = snap?.seq ?? 0;
  for (const entry of tail) {
    if (entry.event !== null && def.apply !== undefined) state = def.apply(state, decodeValue(entry.event));
    seq = entry.seq;
  }
  const schemaVersion = snap?.schemaVersion ?? def.schemaVersion ?? 1;
  const snapshot = encodeSnapshot({ state, seq, schemaVersion, activationCount: snap?.activationCount ?? 0 });
  const stored = def.session === undefined ? undefined : store.readSession(def.name, key);
  if (stored === undefined || stored.expiresAtMs <= nowMs) return { seq, snapshot };
  return { seq, snapshot, session: { value: stored.value, ttlLeftMs: stored.expiresAtMs - nowMs } };
}

/** The candidate with the highest seq (the first of equals), or undefined when none holds anything. */
export function newest(candidates: readonly ExportedActor[]): ExportedActor | undefined {
  let best: ExportedActor | undefined;
  for (const c of candidates) if (c.seq >= 0 && c.snapshot !== undefined && (best === undefined || c.seq > best.seq)) best = c;
  return best;
}

/**
 * Session write that makes `carried` this store's session of `(kind, key)`; when nothing is carried, a live local
 * session (of an older history) is expired so the new term does not start with it. Undefined when nothing changes.
 */
export function sessionOp(store: SnapshotStore, kind: string, key: string, carried: ExportedSession | undefined, nowMs: number): StoreOp | undefined {
  const local = store.readSession(kind, key);
  if (carried !== undefined) return { t: 'session', kind, key, value: carried.value, expiresAtMs: nowMs + carried.ttlLeftMs, previousExpiresAtMs: local?.expiresAtMs };
  if (local === undefined || local.expiresAtMs <= nowMs) return undefined;
  return { t: 'session', kind, key, value: encodeValue(null), expiresAtMs: nowMs, previousExpiresAtMs: local.expiresAtMs };
}

/**
 * The writes that start this node's ownership term of `(kind, key)` from the newest of `candidates` (local and
 * remote exports): a snapshot whose seq is above every candidate's by `TERM_SEQ_GAP`, and the newest one's session.
 * Stale local journal entries stay below the snapshot's seq and are never replayed (nor deleted: the store deletes a
 * seq range one entry at a time, and the gap is a million wide). Empty when no candidate holds anything.
 */
export function termOps(store: SnapshotStore, def: KindDef<any, any, any, any, any>, key: string, candidates: readonly ExportedActor[], nowMs = Date.now()): StoreOp[] {
  const best = newest(candidates);
  if (best === undefined) return [];
  const record = decodeSnapshot(best.snapshot!, `${def.name}/${key}`);
  const seq = best.seq + TERM_SEQ_GAP;
  const ops: StoreOp[] = [{ t: 'snapshot', kind: def.name, key, bytes: encodeSnapshot({ ...record, seq }), seq, pruneAfterSeq: seq }];
  if (def.session !== undefined) {
    const op = sessionOp(store, def.name, key, best.session, nowMs);
    if (op !== undefined) ops.push(op);
  }
  return ops;
}

/** `termOps` committed on its own; returns the term's seq (0 when nothing was written). */
export async function startTerm(store: SnapshotStore, def: KindDef<any, any, any, any, any>, key: string, candidates: readonly ExportedActor[]): Promise<number> {
  const ops = termOps(store, def, key, candidates);
  if (ops.length === 0) return 0;
  await store.commit(ops);
  return (ops[0] as { seq: number }).seq;
}
