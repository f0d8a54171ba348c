import { decodeSnapshot, decodeValue, encodeSnapshot } from '../../actors/store/snapshot-codec.js';
import type { SnapshotStore } from '../../actors/store/snapshot-store.js';
import type { KindDef } from '../../actors/runtime/types.js';

/**
 * Moving one actor's durable state between nodes. The exporter folds its snapshot and journal tail into one
 * snapshot (no journal crosses the wire); the new owner writes it as the start of its ownership term.
 */

/**
 * Each ownership term starts this far above the highest seq anyone reported, so writes of the new owner always
 * outrank writes a cut-off old owner made but could not replicate (they were never acknowledged).
 */
export const TERM_SEQ_GAP = 1_000_000;

export interface ExportedActor {
  /** Highest journal seq folded in; -1 when this node holds nothing for the actor. */
  readonly seq: number;
  /** `encodeSnapshot` of the folded state; absent when seq is -1. */
  readonly snapshot?: Uint8Array;
}

/** Latest state this store holds for `(kind, key)`, folded into one snapshot. Synchronous: LMDB reads. */
export function exportActor(store: SnapshotStore, def: KindDef<any, any, any, any, any>, key: string): ExportedActor {
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
  return { seq, snapshot: encodeSnapshot({ state, seq, schemaVersion, activationCount: snap?.activationCount ?? 0 }) };
}

/**
 * Starts this node's ownership term of `(kind, key)` from the newest of `candidates` (local and remote exports):
 * writes it as a snapshot whose seq is above every candidate's by `TERM_SEQ_GAP`. Stale local journal entries stay
 * below the snapshot's seq and are never replayed (nor deleted: see below). Nothing is written when no candidate holds anything.
 */
export async function startTerm(store: SnapshotStore, def: KindDef<any, any, any, any, any>, key: string, candidates: readonly ExportedActor[]): Promise<number> {
  let best: ExportedActor | undefined;
  for (const c of candidates) if (c.seq >= 0 && (best === undefined || c.seq > best.seq)) best = c;
  if (best === undefined || best.snapshot === undefined) return 0;
  const record = decodeSnapshot(best.snapshot, `${def.name}/${key}`);
  const seq = best.seq + TERM_SEQ_GAP;
  // No journal pruning here: the store deletes a seq range one entry at a time, and the gap is a million wide.
  // Older local entries stay below the snapshot's seq, where activation never reads.
  await store.commit([{ t: 'snapshot', kind: def.name, key, bytes: encodeSnapshot({ ...record, seq }), seq, pruneAfterSeq: seq }]);
  return seq;
}
