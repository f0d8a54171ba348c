import type { Database } from 'lmdb';
import { decodeValue, encodeValue } from './snapshot-codec.js';
import type { StoredOutboxEntry, StoreOutbox } from './snapshot-store.js';

/** An array header of msgpack: 0x90 | length. */
const FIXARRAY = 0x90;

/**
 * The stored form of an outbox entry: one msgpack array `[channel, dedupId, committedAtMs, body]`, the body's bytes
 * (already encoded by the actor's emit) spliced in, so the relay's read decodes an entry and its body in one pass and
 * the commit encodes the body no second time.
 */
export function encodeOutboxValue(channel: string, dedupId: string, committedAtMs: number, body: Uint8Array): Buffer {
  const head = encodeValue([channel, dedupId, committedAtMs]);
  const out = Buffer.allocUnsafe(head.length + body.length);
  head.copy(out);
  out[0] = FIXARRAY | 4;
  out.set(body, head.length);
  return out;
}

/** Entries written before are lmdb-js msgpack objects `{ c, b, d, t }` whose `b` holds the encoded body. */
interface LegacyOutboxValue {
  c: string;
  b: Uint8Array;
  d: string;
  t: number;
}

function decodeOutboxValue(id: number, bytes: Uint8Array): StoredOutboxEntry {
  const value = decodeValue(bytes) as [string, string, number, unknown] | LegacyOutboxValue;
  if (Array.isArray(value)) return { id, channel: value[0], dedupId: value[1], committedAtMs: value[2], body: value[3] };
  return { id, channel: value.c, body: decodeValue(value.b), dedupId: value.d, committedAtMs: value.t };
}

/** Committed notifications waiting for the notifier's relay; ids increase with commit order and survive restarts. */
export class LmdbOutbox implements StoreOutbox {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Database<Buffer, number>) {}

  readPending(afterId: number, limit: number): StoredOutboxEntry[] {
    const out: StoredOutboxEntry[] = [];
    for (const { key, value } of this.db.getRange({ start: afterId + 1, limit })) out.push(decodeOutboxValue(key, value));
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
