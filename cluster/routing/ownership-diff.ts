import { ownerOf, type Ring } from '../placement/ring.js';

/** One stored actor as the dry-run sees it. */
export interface StoredActor {
  readonly kind: string;
  readonly key: string;
  /** Snapshot plus journal tail, encoded. */
  readonly bytes: number;
}

export interface KindMoves {
  actors: number;
  bytes: number;
}

/** What an ownership change would move: per kind, and per `from->to` pair of nodes. */
export interface MovePlan {
  readonly totalActors: number;
  readonly movedActors: number;
  readonly movedBytes: number;
  readonly byKind: Record<string, KindMoves>;
  readonly byRoute: Record<string, KindMoves>;
}

/** Pure dry-run of a join or leave: which of `actors` change owner from ring `before` to ring `after`. */
export function planMoves(before: Ring, after: Ring, actors: Iterable<StoredActor>): MovePlan {
  let totalActors = 0;
  let movedActors = 0;
  let movedBytes = 0;
  const byKind: Record<string, KindMoves> = {};
  const byRoute: Record<string, KindMoves> = {};
  for (const a of actors) {
    totalActors++;
    const from = ownerOf(before, a.kind, a.key);
    const to = ownerOf(after, a.kind, a.key);
    if (from === to) continue;
    movedActors++;
    movedBytes += a.bytes;
    add((byKind[a.kind] ??= { actors: 0, bytes: 0 }), a.bytes);
    add((byRoute[`${from}->${to}`] ??= { actors: 0, bytes: 0 }), a.bytes);
  }
  return { totalActors, movedActors, movedBytes, byKind, byRoute };
}

function add(m: KindMoves, bytes: number): void {
  m.actors++;
  m.bytes += bytes;
}
