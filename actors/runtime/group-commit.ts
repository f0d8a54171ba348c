import type { Context, Tracer } from '@opentelemetry/api';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { Activation } from './activation.js';
import { CommitBatch } from './commit-batch.js';
import { PersistError } from './errors.js';
import { context, endSpan, sampledParent, startChildSpan } from './tracing.js';
import type { Logger } from './types.js';

export interface GroupCommitDeps {
  store: SnapshotStore;
  logger: Logger;
  tracer: Tracer | undefined;
  /** A batch was opened outside a drain: the host commits it soon (see `Scheduler.scheduleFlush`). */
  onOpened(): void;
  /** The commit of these actors' writes failed: their memory is ahead of the store, so the host reloads them. */
  onFailed(actors: readonly Activation[]): void;
}

/**
 * The host's group commit: every write of one turn goes into one open batch, committed in one LMDB transaction when
 * the turn ends; replies that depend on it are released only then (CommitBatch). Several commits may be in flight.
 */
export class GroupCommit {
  private open: CommitBatch<Activation> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** The first traced message's context in the open batch: the LMDB commit span's parent. */
  private traceCtx: Context | undefined;

  constructor(private readonly deps: GroupCommitDeps) {}

  /** The open batch, opened (and the actor enlisted) on first use. */
  batchFor(actor: Activation, draining: boolean): CommitBatch<Activation> {
    let b = this.open;
    if (b === null) {
      b = this.open = new CommitBatch<Activation>();
      if (!draining) this.deps.onOpened();
    }
    if (actor.lastBatch !== b) {
      actor.lastBatch = b;
      b.actors.push(actor);
    }
    return b;
  }

  get hasOpenBatch(): boolean {
    return this.open !== null;
  }

  /** True when an actor with writes in the open batch is still inside an async handler (more writes may follow). */
  get openBatchHasBusyActor(): boolean {
    return this.open !== null && this.open.actors.some((a) => a.busy);
  }

  get commitsInFlight(): number {
    return this.inFlight.size;
  }

  /** Resolves when the commits in flight now have settled (a failed one resolves too: its asks got the error). */
  settled(): Promise<void> {
    return Promise.all(this.inFlight).then(() => undefined);
  }

  traceParent(ctx: Context): void {
    this.traceCtx ??= ctx;
  }

  /** Commits the open batch, if any. */
  flush(): void {
    const b = this.open;
    if (b === null) return;
    this.open = null;
    const { tracer, store, logger } = this.deps;
    const release = () => {
      for (const a of b.actors) if (a.lastBatch === b) a.lastBatch = null;
    };
    // The batch's first traced message, or, for a commit made at the end of an async handler, that handler's context.
    const parent = tracer === undefined ? undefined : sampledParent(this.traceCtx);
    this.traceCtx = undefined;
    const traced = parent === undefined ? undefined : startChildSpan(tracer!, 'lmdb commit', { 'quarry.commit.ops': b.ops.length, 'quarry.commit.actors': b.actors.length }, parent);
    // Inside the commit span, so replication of this batch to other nodes is traced as its child.
    const commit = traced === undefined ? store.commit(b.ops) : context.with(traced.ctx, () => store.commit(b.ops));
    const done = commit.then(
      () => {
        if (traced !== undefined) endSpan(traced.span);
        release();
        b.settle(undefined, () => undefined);
      },
      (err: unknown) => {
        if (traced !== undefined) endSpan(traced.span, err);
        release();
        logger.error({ err, actors: b.actors.length }, 'commit failed; the actors involved reload from the store');
        b.settle(err, (cause, actorId) => new PersistError(actorId, { cause }));
        this.deps.onFailed(b.actors);
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }
}
