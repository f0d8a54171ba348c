import { context } from '@opentelemetry/api';
import { encodeSnapshot, type SnapshotStore, type StoreOp, type SweepResult } from '../../actors/runtime/port.js';

/** What replication needs from the router: the replicas of an actor, and a way to send them writes. */
export interface ReplicaTargets {
  /**
   * Replicas of `(kind, key)` other than this node, nearest first; empty when this node is not its owner. Members in
   * `exclude` are skipped like members whose link is down (the next successor takes their place).
   */
  replicasOf(kind: string, key: string, exclude?: ReadonlySet<string>): readonly string[];
  /** Ring epoch; a replica that has not seen an actor's full state in this epoch gets it before any delta. */
  readonly epoch: number;
  isOwner(kind: string, key: string): boolean;
  /** The ring has members to replicate to, so `replicated` durability must find one. */
  readonly expectsReplica: boolean;
  /** Commits `ops` on `nodeId`; resolves once the replica committed them. */
  replicate(nodeId: string, ops: ReplicaOp[]): Promise<void>;
  /** `replicated` durability: a commit resolves only after one replica has it. */
  readonly waitForReplica: boolean;
  onReplicationError(nodeId: string, err: unknown): void;
}

/** The writes a replica applies (outbox and audit stay on the owner). Values are already encoded. */
export type ReplicaOp = Extract<StoreOp, { t: 'journal' | 'snapshot' | 'session' }>;

/**
 * A `SnapshotStore` that copies every committed snapshot, journal entry and session to the actor's replicas
 * (the next `replicationFactor - 1` members on the ring). The host commits through it unchanged.
 */
export class ReplicatingStore implements SnapshotStore {
  private targets: ReplicaTargets | undefined;
  private baseEpoch = -1;
  /** `nodeId \0 kind \0 key` already given a full base in `baseEpoch`. */
  private readonly based = new Set<string>();

  constructor(readonly inner: SnapshotStore) {}

  attach(targets: ReplicaTargets): void {
    this.targets = targets;
  }

  get outbox() {
    return this.inner.outbox;
  }

  readSnapshot(kind: string, key: string) {
    return this.inner.readSnapshot(kind, key);
  }

  readJournal(kind: string, key: string, afterSeq: number) {
    return this.inner.readJournal(kind, key, afterSeq);
  }

  readSession(kind: string, key: string) {
    return this.inner.readSession(kind, key);
  }

  readAudit(kind: string, key: string, limit: number) {
    return this.inner.readAudit(kind, key, limit);
  }

  sweepExpired(nowMs: number): Promise<SweepResult> {
    return this.inner.sweepExpired(nowMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async commit(ops: readonly StoreOp[]): Promise<void> {
    return this.commitAndReplicate(ops, this.targets?.waitForReplica ?? false);
  }

  /**
   * Commits locally and copies to the replicas without waiting for them, whatever the durability. For writes that
   * acknowledge nothing to a client (an ownership term's first snapshot): the writes acknowledged after them wait
   * for a replica as usual, and each replica gets a full base with its first op of the epoch anyway.
   */
  commitReplicatingLater(ops: readonly StoreOp[]): Promise<void> {
    return this.commitAndReplicate(ops, false);
  }

  private async commitAndReplicate(ops: readonly StoreOp[], waitForReplica: boolean): Promise<void> {
    // The commit's trace context, for the replication hops: the node's context manager carries none across an await.
    const ctx = context.active();
    await this.inner.commit(ops);
    return context.with(ctx, () => this.copyToReplicas(ops, waitForReplica));
  }

  private async copyToReplicas(ops: readonly StoreOp[], waitForReplica: boolean): Promise<void> {
    const targets = this.targets;
    if (targets === undefined) return;
    const perNode = this.split(targets, ops);
    if (perNode.size === 0) {
      if (waitForReplica && targets.expectsReplica && ops.some((op) => replicable(op) && targets.isOwner(op.kind, op.key))) throw new ReplicationUnavailableError('no replica link is up');
      return;
    }
    const sends = [...perNode].map(([nodeId, nodeOps]) =>
      this.send(targets, nodeId, nodeOps).catch((err: unknown) => this.fallOver(targets, nodeOps, new Set(perNode.keys()), err)),
    );
    if (waitForReplica) await anyReplica(sends);
    else for (const s of sends) s.catch(() => undefined);
  }

  private send(targets: ReplicaTargets, nodeId: string, ops: ReplicaOp[]): Promise<void> {
    return targets.replicate(nodeId, ops).catch((err: unknown) => {
      // The replica may lack these writes: its next op for each of these actors carries a full base again.
      for (const op of ops) this.based.delete(`${nodeId}\u0000${op.kind}\u0000${op.key}`);
      targets.onReplicationError(nodeId, err);
      throw err;
    });
  }

  /**
   * A replica failed these writes (its link died: a node that is leaving or was just killed, not yet out of the
   * ring): each actor's next replica, beyond those this commit already went to, gets a full base, which holds them.
   * Rejects with `err` when there is none or all of them fail.
   */
  private async fallOver(targets: ReplicaTargets, failed: ReplicaOp[], tried: ReadonlySet<string>, err: unknown): Promise<void> {
    const perNode = new Map<string, ReplicaOp[]>();
    const seen = new Set<string>();
    for (const op of failed) {
      const id = `${op.kind}\u0000${op.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const alt = targets.replicasOf(op.kind, op.key, tried)[0];
      if (alt === undefined) continue;
      let list = perNode.get(alt);
      if (list === undefined) perNode.set(alt, (list = []));
      list.push(...this.base(op.kind, op.key));
      this.based.add(`${alt}\u0000${id}`);
    }
    if (perNode.size === 0) throw err;
    await anyReplica([...perNode].map(([nodeId, ops]) => this.send(targets, nodeId, ops)));
  }

  private split(targets: ReplicaTargets, ops: readonly StoreOp[]): Map<string, ReplicaOp[]> {
    if (targets.epoch !== this.baseEpoch) {
      this.based.clear();
      this.baseEpoch = targets.epoch;
    }
    const perNode = new Map<string, ReplicaOp[]>();
    /** Replica-actor pairs given a base in this commit: the base already holds their later ops here. */
    const basedNow = new Set<string>();
    for (const op of ops) {
      if (!replicable(op)) continue;
      for (const nodeId of targets.replicasOf(op.kind, op.key)) {
        let list = perNode.get(nodeId);
        if (list === undefined) perNode.set(nodeId, (list = []));
        const id = `${nodeId}\u0000${op.kind}\u0000${op.key}`;
        if (basedNow.has(id)) continue;
        if (!this.based.has(id)) {
          this.based.add(id);
          basedNow.add(id);
          // The full state as committed now already includes `op` (and the rest of this commit), so the base replaces them.
          list.push(...this.base(op.kind, op.key));
          continue;
        }
        list.push(op);
      }
    }
    return perNode;
  }

  /** Snapshot, journal tail and session as ops, so a replica that missed earlier deltas (new ring, restart) catches up. */
  private base(kind: string, key: string): ReplicaOp[] {
    const out: ReplicaOp[] = [];
    const snap = this.inner.readSnapshot(kind, key);
    if (snap !== undefined) out.push({ t: 'snapshot', kind, key, bytes: encodeSnapshot(snap), seq: snap.seq, pruneAfterSeq: snap.seq });
    for (const e of this.inner.readJournal(kind, key, snap?.seq ?? 0)) out.push({ t: 'journal', kind, key, seq: e.seq, event: e.event });
    // A stale TTL-index entry this leaves on the replica is harmless: the sweep checks the record's own expiry.
    const session = this.inner.readSession(kind, key);
    if (session !== undefined) out.push({ t: 'session', kind, key, value: session.value, expiresAtMs: session.expiresAtMs, previousExpiresAtMs: undefined });
    return out;
  }
}

function replicable(op: StoreOp): op is ReplicaOp {
  return op.t === 'journal' || op.t === 'snapshot' || op.t === 'session';
}

/** `replicated` durability, but no replica could be reached: the writes are local only and not acknowledged. */
export class ReplicationUnavailableError extends Error {
  override readonly name = 'ReplicationUnavailableError';
  readonly code = 'REPLICATION_UNAVAILABLE';
}

/**
 * Resolves when one replica took the writes; when none did, rejects with a ReplicationUnavailableError (the replicas'
 * errors as its cause), never a bare AggregateError: the edge would not know it and answer INTERNAL (the loss30
 * nemesis scenario saw it: every replica refused after a quorum loss).
 */
async function anyReplica(sends: ReadonlyArray<Promise<void>>): Promise<void> {
  try {
    await Promise.any(sends);
  } catch (err) {
    if (!(err instanceof AggregateError)) throw err;
    // A fall-over that found no replica either already says so.
    if (err.errors[0] instanceof ReplicationUnavailableError) throw err.errors[0];
    const first = (err.errors[0] as Error | undefined)?.message ?? 'no replica';
    throw new ReplicationUnavailableError(`no replica took the writes: ${first}`, { cause: err });
  }
}
