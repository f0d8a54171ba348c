import type { StoreOp } from '../store/snapshot-store.js';

/** A reply held back until the writes it depends on are committed. */
export interface PendingReply {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * Writes of one host turn, committed in one LMDB transaction (group commit across actors). Asks whose
 * messages wrote here, or read state that includes these writes, are answered only when `committed`.
 */
export class CommitBatch<A = unknown> {
  readonly ops: StoreOp[] = [];
  readonly actors: A[] = [];
  private readonly waiters: Array<PendingReply | unknown> = [];
  committed = false;

  hold(reply: PendingReply, value: unknown, actorId: string): void {
    this.waiters.push(reply, value, actorId);
  }

  /** Releases the held replies: resolved after a commit, rejected with `toError` after a failed one. */
  settle(error: unknown | undefined, toError: (err: unknown, actorId: string) => unknown): void {
    this.committed = true;
    const w = this.waiters;
    for (let i = 0; i < w.length; i += 3) {
      const reply = w[i] as PendingReply;
      if (error === undefined) reply.resolve(w[i + 1]);
      else reply.reject(toError(error, w[i + 2] as string));
    }
    w.length = 0;
  }
}
