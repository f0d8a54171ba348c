import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { build, type Histogram } from 'hdr-histogram-js';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import { decodeSnapshot, decodeValue, snapshotSeqOf } from './snapshot-codec.js';
import { StoreClosedError, StoreCommitError } from './errors.js';
import { resolveStoreOptions, type ResolvedStoreOptions, type StoreOptions } from './options.js';
import type {
  AuditRecord,
  JournalEntry,
  SessionEntry,
  SnapshotRecord,
  SnapshotStore,
  StoreOp,
  StoreOutbox,
  SweepResult,
} from './snapshot-store.js';
import { encodeOutboxValue, LmdbOutbox } from './outbox.js';
import { BucketHistogram } from './bucket-histogram.js';
import { sweepAudit, sweepSessions } from './ttl-sweep.js';
import { SnapshotsInFlight } from './snapshots-in-flight.js';
import { IdBlock } from './id-block.js';

/**
 * Key layout (lmdb's ordered-binary array keys, so a per-actor prefix is one contiguous range):
 * - snapshots `[kind, key]` → header + state (see snapshot-codec.ts)
 * - journal `[kind, key, seq]` → encoded event (see `journalValue`), or MARKER for a message that only emitted
 * - sessions `[0, kind, key]` → expiresAtMs f64 + value; TTL index `[1, expiresAtMs, kind, key]` → MARKER
 * - audit `[0, kind, key, id]` → atMs f64 + entry; retention index `[1, atMs, id, kind, key]` → MARKER
 * - outbox `id` → `[channel, dedupId, committedAtMs, body]` (see outbox.ts); meta: id reservations that must survive an empty outbox (see id-block.ts)
 */
export const MARKER = Buffer.alloc(1);
/**
 * Put before an event of one byte (msgpack's null, true, a small integer), which would otherwise read as MARKER. No
 * msgpack value starts with this byte, and V8's format, the journal's before msgpack, starts with 0xFF.
 */
const ONE_BYTE_EVENT_TAG = 0xc1;
export const DB_NAMES = ['snapshots', 'journal', 'sessions', 'audit', 'outbox', 'meta'] as const;
/** Meta keys of the id reservations (see id-block.ts); the names are those of the last ids stored before blocks. */
const OUTBOX_IDS = 'outboxLastId';
const AUDIT_IDS = 'auditLastId';

export interface LmdbDatabases {
  readonly root: RootDatabase;
  readonly snapshots: Database<Buffer, Key[]>;
  readonly journal: Database<Buffer, Key[]>;
  readonly sessions: Database<Buffer, Key[]>;
  readonly audit: Database<Buffer, Key[]>;
  readonly outbox: Database<Buffer, number>;
  readonly meta: Database<number, string>;
}

/** Opens the environment and its named databases. Nothing is scanned, so this costs the same for 1 or 10M actors. */
export function openLmdbDatabases(path: string, mapSizeMb: number): LmdbDatabases {
  mkdirSync(path, { recursive: true });
  // lmdb-js takes a path with a dot in its last part (node.dataDir = /tmp/tmp.x1) for a file name, not a folder:
  // naming the file inside the folder makes the folder setting mean a folder, always.
  const root = open({ path: join(path, 'quarry.mdb'), maxDbs: DB_NAMES.length + 2, mapSize: mapSizeMb * 1024 * 1024 });
  const binary = (name: string) => root.openDB<Buffer, Key[]>({ name, encoding: 'binary' });
  return {
    root,
    snapshots: binary('snapshots'),
    journal: binary('journal'),
    sessions: binary('sessions'),
    audit: binary('audit'),
    outbox: root.openDB<Buffer, number>({ name: 'outbox', encoding: 'binary' }),
    meta: root.openDB<number, string>({ name: 'meta', encoding: 'msgpack' }),
  };
}

/** Longest commit the latency histogram tells apart, in µs; a slower one is counted as this. */
export const MAX_RECORDED_COMMIT_US = 60_000_000;

export function openLmdbStore(options: StoreOptions): LmdbSnapshotStore {
  return new LmdbSnapshotStore(resolveStoreOptions(options));
}

export class LmdbSnapshotStore implements SnapshotStore {
  readonly dbs: LmdbDatabases;
  readonly outbox: StoreOutbox;
  private readonly lmdbOutbox: LmdbOutbox;
  private readonly outboxIds: IdBlock;
  private readonly auditIds: IdBlock;
  private closed = false;
  /** Snapshot writes of commits not yet settled, for the "never back" check (see `commit`). */
  readonly snapshotsInFlight = new SnapshotsInFlight();
  /**
   * Time from `commit()` to the transaction committed, in µs, of every successful commit since the store opened: the
   * store's share of an acknowledged fix's latency (lmdb-js queueing, the write and its flush, the event loop until
   * the promise settles; `GET /metrics`, bench gateway). Cumulative: a reader takes the difference of two readings.
   */
  readonly commitLatencyUs: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_RECORDED_COMMIT_US, numberOfSignificantValueDigits: 2 });
  /** The same commits in fixed buckets, for the node's Prometheus `/metrics`. */
  readonly commitSeconds = new BucketHistogram();

  constructor(readonly options: ResolvedStoreOptions) {
    this.dbs = openLmdbDatabases(options.path, options.mapSizeMb);
    this.auditIds = new IdBlock(this.dbs.meta.get(AUDIT_IDS) ?? 0);
    this.outboxIds = new IdBlock(this.dbs.meta.get(OUTBOX_IDS) ?? 0);
    this.lmdbOutbox = new LmdbOutbox(this.dbs.outbox);
    this.outbox = this.lmdbOutbox;
  }

  readSnapshot(kind: string, key: string): SnapshotRecord | undefined {
    this.assertOpen();
    const bytes = this.dbs.snapshots.getBinary([kind, key]);
    return bytes === undefined ? undefined : decodeSnapshot(bytes, `${kind}/${key}`);
  }

  readJournal(kind: string, key: string, afterSeq: number): JournalEntry[] {
    this.assertOpen();
    const out: JournalEntry[] = [];
    for (const { key: k, value } of this.dbs.journal.getRange({ start: [kind, key, afterSeq + 1], end: [kind, key, Infinity] })) {
      out.push({ seq: k[2] as number, event: journalEvent(value) });
    }
    return out;
  }

  readSession(kind: string, key: string): SessionEntry | undefined {
    this.assertOpen();
    const bytes = this.dbs.sessions.get([0, kind, key]);
    if (bytes === undefined) return undefined;
    return { expiresAtMs: bytes.readDoubleBE(0), value: bytes.subarray(8) };
  }

  readAudit(kind: string, key: string, limit: number): AuditRecord[] {
    this.assertOpen();
    const out: AuditRecord[] = [];
    for (const { key: k, value } of this.dbs.audit.getRange({ start: [0, kind, key, 0], end: [0, kind, key, Infinity], limit })) {
      out.push({ id: k[3] as number, atMs: value.readDoubleBE(0), entry: decodeValue(value.subarray(8)) });
    }
    return out;
  }

  /** Walks keys only: snapshots, then journal-only actors (the journal is ordered by actor, so one compare dedupes). */
  *listActors(): Generator<{ kind: string; key: string }> {
    this.assertOpen();
    for (const k of this.dbs.snapshots.getKeys()) yield { kind: k[0] as string, key: k[1] as string };
    let last: Key[] | undefined;
    for (const k of this.dbs.journal.getKeys()) {
      if (last !== undefined && last[0] === k[0] && last[1] === k[1]) continue;
      last = k;
      if (!this.dbs.snapshots.doesExist([k[0]!, k[1]!])) yield { kind: k[0] as string, key: k[1] as string };
    }
  }

  commit(ops: readonly StoreOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    // lmdb-js checks a key's size when a write is queued, and what was queued before a throw would be committed:
    // every key is checked before the first write.
    for (const op of ops) {
      if (op.t !== 'outbox' && !actorKeysFit(op.kind, op.key)) {
        const keyBytes = Buffer.byteLength(op.kind) + Buffer.byteLength(op.key);
        return Promise.reject(new StoreCommitError(`LMDB commit of ${ops.length} writes refused: kind ${op.kind} with a key of ${keyBytes} bytes exceeds LMDB's ${MAX_KEY_BYTES}-byte key size`));
      }
    }
    const { journal, snapshots, sessions, audit, outbox, meta } = this.dbs;
    const queued: Array<{ kind: string; key: string }> = [];
    let outboxWrites = 0;
    let outboxReserved: number | undefined;
    let auditReserved: number | undefined;
    const startedAt = performance.now();
    // Plain writes in one batch: lmdb-js commits a batch in one transaction (all or nothing) without handing the
    // write transaction to this thread, which a child transaction did for each commit.
    const done = this.dbs.root.batch(() => {
      for (const op of ops) {
        switch (op.t) {
          case 'journal':
            journal.put([op.kind, op.key, op.seq], journalValue(op.event));
            break;
          case 'snapshot': {
            // Never back: a late copy (replication from an owner that was cut off, a re-sent base) must not replace a
            // newer term, whether stored or queued by an earlier commit. Only the header is read, in place.
            const stored = snapshots.getBinaryFast([op.kind, op.key]);
            const newest = Math.max(stored === undefined ? -1 : snapshotSeqOf(stored) ?? -1, this.snapshotsInFlight.seqOf(op.kind, op.key) ?? -1);
            if (newest > op.seq) break;
            this.snapshotsInFlight.add(op.kind, op.key, op.seq);
            queued.push(op);
            snapshots.put([op.kind, op.key], asBuffer(op.bytes));
            for (let s = op.pruneAfterSeq + 1; s <= op.seq; s++) journal.remove([op.kind, op.key, s]);
            break;
          }
          case 'session': {
            const bytes = Buffer.allocUnsafe(8 + op.value.length);
            bytes.writeDoubleBE(op.expiresAtMs, 0);
            bytes.set(op.value, 8);
            if (op.previousExpiresAtMs !== undefined) sessions.remove([1, op.previousExpiresAtMs, op.kind, op.key]);
            sessions.put([0, op.kind, op.key], bytes);
            sessions.put([1, op.expiresAtMs, op.kind, op.key], MARKER);
            break;
          }
          case 'audit': {
            const id = this.auditIds.next();
            const bytes = Buffer.allocUnsafe(8 + op.entry.length);
            bytes.writeDoubleBE(op.atMs, 0);
            bytes.set(op.entry, 8);
            audit.put([0, op.kind, op.key, id], bytes);
            audit.put([1, op.atMs, id, op.kind, op.key], MARKER);
            break;
          }
          case 'outbox':
            outbox.put(this.outboxIds.next(), encodeOutboxValue(op.channel, op.dedupId, op.committedAtMs, op.body));
            outboxWrites++;
            break;
        }
      }
      // Most commits write no meta page at all: only one that passes the durable reservation stores the next.
      outboxReserved = this.outboxIds.reservationToStore();
      if (outboxReserved !== undefined) meta.put(OUTBOX_IDS, outboxReserved);
      auditReserved = this.auditIds.reservationToStore();
      if (auditReserved !== undefined) meta.put(AUDIT_IDS, auditReserved);
    });
    const settle = () => {
      for (const { kind, key } of queued) this.snapshotsInFlight.settle(kind, key);
    };
    return done.then(
      () => {
        settle();
        if (outboxReserved !== undefined) this.outboxIds.committed(outboxReserved);
        if (auditReserved !== undefined) this.auditIds.committed(auditReserved);
        const ms = performance.now() - startedAt;
        this.commitSeconds.observe(ms / 1000);
        const us = Math.round(ms * 1000);
        this.commitLatencyUs.recordValue(Math.min(Math.max(us, 1), MAX_RECORDED_COMMIT_US));
        if (outboxWrites > 0) this.lmdbOutbox.notifyCommitted();
      },
      (cause: unknown) => {
        settle();
        throw new StoreCommitError(`LMDB commit of ${ops.length} writes failed`, { cause });
      },
    );
  }

  async sweepExpired(nowMs: number): Promise<SweepResult> {
    this.assertOpen();
    const batch = this.options.sweepBatchEntries;
    const sessionsExpired = await sweepSessions(this.dbs.sessions, nowMs, batch);
    const cutoffMs = nowMs - this.options.auditRetentionDays * 86_400_000;
    const auditExpired = await sweepAudit(this.dbs.audit, cutoffMs, batch);
    return { sessionsExpired, auditExpired };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dbs.root.committed;
    await this.dbs.root.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

/** LMDB's key size limit in bytes (lmdb-js with its default page size). */
export const MAX_KEY_BYTES = 1_978;
/**
 * Most bytes the longest key of an actor (the audit index `[1, atMs, id, kind, key]`) adds to its kind and key: three
 * numbers of at most 9 bytes, four separators, an escape before each string.
 */
const KEY_OVERHEAD_BYTES = 3 * 9 + 4 + 2;

/**
 * True when every key of the actor fits. Bounded, not exact: ordered-binary writes at most 3 bytes per UTF-16 unit
 * (UTF-8, or an escape pair for a control character), so an actor whose kind and key are within a few bytes of the
 * limit may be refused although some of its keys would fit; then it is refused whole, never half written.
 */
function actorKeysFit(kind: string, key: string): boolean {
  const units = kind.length + key.length;
  if (3 * units + KEY_OVERHEAD_BYTES <= MAX_KEY_BYTES) return true;
  let escapes = 0;
  for (const s of [kind, key]) for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 4) escapes++;
  return Buffer.byteLength(kind) + Buffer.byteLength(key) + escapes + KEY_OVERHEAD_BYTES <= MAX_KEY_BYTES;
}

function journalValue(event: Uint8Array | null): Buffer {
  if (event === null) return MARKER;
  return event.length === 1 ? Buffer.from([ONE_BYTE_EVENT_TAG, event[0]!]) : asBuffer(event);
}

function journalEvent(value: Buffer): Uint8Array | null {
  if (value.length === 1) return null;
  return value[0] === ONE_BYTE_EVENT_TAG ? value.subarray(1) : value;
}

/** A view, not a copy: values are encoded once by the caller. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
