/**
 * A small real LMDB-backed OutboxSource for the notifier's tests (the runtime's own outbox commits entries
 * with actor state; here `commit` stands in for an actor turn). Ids increase with commit order.
 */
import { open, type RootDatabase } from 'lmdb';
import type { OutboxEntry, OutboxSource } from '../actors/runtime/types.js';

export class LmdbTestOutbox implements OutboxSource {
  private readonly listeners = new Set<() => void>();
  private lastId: number;

  private constructor(private readonly db: RootDatabase<OutboxEntry, number>) {
    this.lastId = [...db.getKeys({ reverse: true, limit: 1 })][0] ?? 0;
  }

  static open(path: string): LmdbTestOutbox {
    return new LmdbTestOutbox(open<OutboxEntry, number>({ path }));
  }

  /** Commits one entry durably (as an actor turn would) and wakes the relay. */
  async commit(channel: string, body: unknown, dedupId: string): Promise<OutboxEntry> {
    const entry: OutboxEntry = { id: ++this.lastId, channel, body, dedupId, committedAtMs: Date.now() };
    await this.db.put(entry.id, entry);
    for (const listener of this.listeners) listener();
    return entry;
  }

  readPending(afterId: number, limit: number): OutboxEntry[] {
    return [...this.db.getRange({ start: afterId + 1, limit })].map((e) => e.value);
  }

  async ack(uptoId: number): Promise<void> {
    await this.db.transaction(() => {
      for (const key of this.db.getKeys({ end: uptoId + 1 })) this.db.remove(key);
    });
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pendingCount(): number {
    return this.db.getKeysCount();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
