import type { Database } from 'lmdb';
import { decodeValue } from './snapshot-codec.js';
import type { StoredOutboxEntry, StoreOutbox } from './snapshot-store.js';

/** Stored form of an outbox entry: channel, encoded body, dedup id, commit time. */
export interface OutboxValue {
  c: string;
  b: Uint8Array;
  d: string;
  t: number;
}

/** Committed notifications waiting for the notifier's relay; ids increase with commit order and survive restarts. */
export class LmdbOutbox implements StoreOutbox {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Database<OutboxValue, number>, private lastId: number) {}

  nextId(): number {
    return ++this.lastId;
  }

  readPending(afterId: number, limit: number): StoredOutboxEntry[] {
    const out: StoredOutboxEntry[] = [];
    for (const { key, value } of this.db.getRange({ start: afterId + 1, limit })) {
      out.push({ id: key, channel: value.c, body: decodeValue(value.b), dedupId: value.d, committedAtMs: value.t });
    }
    return out;
  }

  pendingCount(): number {
    // One B-tree stat read (mdb_stat), not a scan: cheap at any backlog.
    return (this.db.getStats() as { entryCount: number }).entryCount;
  }

  async ack(uptoId: number): Promise<void> {
    const keys = [...this.db.getKeys({ end: uptoId + 1 })];
    if (keys.length === 0) return;
    await this.db.transaction(() => {
      for (const k of keys) this.db.remove(k);
    });
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notifyCommitted(): void {
    for (const listener of this.listeners) listener();
  }
}
