import type { SnapshotRecord } from './snapshot-codec.js';

export type { SnapshotRecord } from './snapshot-codec.js';

/** One write of a commit batch. Values are already encoded by the caller so later mutation cannot change them. */
export type StoreOp =
  | { readonly t: 'journal'; readonly kind: string; readonly key: string; readonly seq: number; readonly event: Uint8Array | null }
  | {
      readonly t: 'snapshot';
      readonly kind: string;
      readonly key: string;
      /** `encodeSnapshot(record)`, encoded by the caller when the state was current. Skipped (with its pruning) when the stored snapshot's seq is higher. */
      readonly bytes: Uint8Array;
      readonly seq: number;
      /** Journal entries with seq in (pruneAfterSeq, seq] are deleted in the same transaction. */
      readonly pruneAfterSeq: number;
    }
  | {
      readonly t: 'session';
      readonly kind: string;
      readonly key: string;
      readonly value: Uint8Array;
      readonly expiresAtMs: number;
      /** Expiry of the record this one replaces (its TTL-index key is removed), if any. */
      readonly previousExpiresAtMs: number | undefined;
    }
  | { readonly t: 'audit'; readonly kind: string; readonly key: string; readonly atMs: number; readonly entry: Uint8Array }
  | { readonly t: 'outbox'; readonly channel: string; readonly body: Uint8Array; readonly dedupId: string; readonly committedAtMs: number };

export interface JournalEntry {
  readonly seq: number;
  /** Encoded event; null for a marker entry (a message that emitted without persisting). */
  readonly event: Uint8Array | null;
}

export interface SessionEntry {
  readonly value: Uint8Array;
  readonly expiresAtMs: number;
}

export interface AuditRecord {
  readonly id: number;
  readonly atMs: number;
  readonly entry: unknown;
}

export interface StoredOutboxEntry {
  readonly id: number;
  readonly channel: string;
  readonly body: unknown;
  readonly dedupId: string;
  readonly committedAtMs: number;
}

export interface SweepResult {
  readonly sessionsExpired: number;
  readonly auditExpired: number;
}

/**
 * Durable home of actor state. Reads are synchronous (LMDB is memory-mapped: no scan or cache rebuild at open);
 * writes go through `commit`, one atomic transaction per call, resolved once committed.
 */
export interface SnapshotStore {
  /** Latest snapshot; throws CorruptSnapshotError naming the actor when it does not verify. */
  readSnapshot(kind: string, key: string): SnapshotRecord | undefined;
  /** Journal entries with seq > afterSeq, oldest first. */
  readJournal(kind: string, key: string, afterSeq: number): JournalEntry[];
  readSession(kind: string, key: string): SessionEntry | undefined;
  readAudit(kind: string, key: string, limit: number): AuditRecord[];
  /**
   * Every actor with a snapshot or journal entries, each once (for moving a leaving node's actors). Optional: a store
   * that cannot enumerate leaves cold actors behind on a graceful leave.
   */
  listActors?(): Iterable<{ readonly kind: string; readonly key: string }>;
  /** Writes all ops in one transaction; outbox entries get increasing ids in call order. */
  commit(ops: readonly StoreOp[]): Promise<void>;
  /** Deletes sessions expired at `nowMs` and audit entries older than the retention, walking only the expired index range. */
  sweepExpired(nowMs: number): Promise<SweepResult>;
  readonly outbox: StoreOutbox;
  close(): Promise<void>;
}

/** Structurally the runtime's `OutboxSource` (the store may not import the runtime). */
export interface StoreOutbox {
  readPending(afterId: number, limit: number): StoredOutboxEntry[];
  ack(uptoId: number): Promise<void>;
  onCommit(listener: () => void): () => void;
  /** Committed entries not yet acked by the relay: the outbox backlog (a gauge of `/metrics`). */
  pendingCount(): number;
}
