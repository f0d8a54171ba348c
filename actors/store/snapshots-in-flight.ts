/**
 * Snapshot writes queued to LMDB and not yet settled, by actor. Commits are plain puts, checked when `commit()` is
 * called rather than inside the write transaction, so "never back" (a snapshot never replaced by an older one) must
 * see what the store holds plus what the commits before it will write: lmdb-js applies queued writes in call order.
 */
export class SnapshotsInFlight {
  /** Highest seq among the actor's queued snapshot writes, and how many are queued. */
  private readonly byActor = new Map<string, { seq: number; writes: number }>();

  /** Seq of the newest queued snapshot of the actor, if any. */
  seqOf(kind: string, key: string): number | undefined {
    return this.byActor.get(actorKey(kind, key))?.seq;
  }

  add(kind: string, key: string, seq: number): void {
    const id = actorKey(kind, key);
    const entry = this.byActor.get(id);
    if (entry === undefined) this.byActor.set(id, { seq, writes: 1 });
    else {
      entry.seq = Math.max(entry.seq, seq);
      entry.writes++;
    }
  }

  /**
   * The write settled (committed or failed). Until every queued write of the actor has, its highest seq stays: were
   * the newest of them to fail, an older snapshot checked meanwhile was skipped, the same as if the newest had been
   * committed. The failed commit's callers are told (the host reloads its actors from the store).
   */
  settle(kind: string, key: string): void {
    const id = actorKey(kind, key);
    const entry = this.byActor.get(id);
    if (entry !== undefined && --entry.writes === 0) this.byActor.delete(id);
  }

  get size(): number {
    return this.byActor.size;
  }
}

/** Unambiguous for any kind and key (a separator character could appear in either). */
function actorKey(kind: string, key: string): string {
  return `${kind.length}:${kind}${key}`;
}
