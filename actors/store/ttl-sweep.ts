import type { Database, Key } from 'lmdb';

/**
 * Expiry sweeps walk only the expiry-ordered index (`[1, atMs, ...]`) from its start up to the cutoff, in
 * transactions of at most `batchEntries`, so their cost is the number of expired entries, never the data size.
 */
export async function sweepSessions(db: Database<Buffer, Key[]>, nowMs: number, batchEntries: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const due = expiredIndexKeys(db, (k) => (k[1] as number) <= nowMs, batchEntries);
    if (due.length === 0) return removed;
    await db.transaction(() => {
      for (const indexKey of due) {
        const [, expiresAtMs, kind, key] = indexKey;
        const record = db.get([0, kind, key]);
        // A record re-written since has a new expiry (and index key); only the one this key points to dies.
        if (record !== undefined && record.readDoubleBE(0) === expiresAtMs) {
          db.remove([0, kind, key]);
          removed++;
        }
        db.remove(indexKey);
      }
    });
    if (due.length < batchEntries) return removed;
  }
}

export async function sweepAudit(db: Database<Buffer, Key[]>, cutoffMs: number, batchEntries: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const due = expiredIndexKeys(db, (k) => (k[1] as number) < cutoffMs, batchEntries);
    if (due.length === 0) return removed;
    await db.transaction(() => {
      for (const indexKey of due) {
        const [, , id, kind, key] = indexKey;
        db.remove([0, kind, key, id]);
        db.remove(indexKey);
        removed++;
      }
    });
    if (due.length < batchEntries) return removed;
  }
}

function expiredIndexKeys(db: Database<Buffer, Key[]>, expired: (key: Key[]) => boolean, limit: number): Key[][] {
  const out: Key[][] = [];
  for (const key of db.getKeys({ start: [1], end: [2], limit })) {
    if (!expired(key)) break;
    out.push(key);
  }
  return out;
}
