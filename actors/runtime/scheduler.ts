import type { Span, Tracer } from '@opentelemetry/api';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { activate, type Activation, type HostServices, type KindRuntime } from './activation.js';
import { AskReply } from './ask-reply.js';
import type { CommitBatch } from './commit-batch.js';
import { AskTimeoutError, HandlerError, HostClosedError, MailboxFullError, UnknownKindError } from './errors.js';
import type { GroupCommit } from './group-commit.js';
import type { HandledTap } from './handled-tap.js';
import { HANDLER_TIMING_SAMPLE_EVERY, NOT_TIMED } from './kind-stats.js';
import type { ResolvedHostOptions } from './options.js';
import type { PassivationWheel } from './passivation-wheel.js';
import { RunQueue } from './run-queue.js';
import { context, endSpan, endTracedMessage, sampledParent, startChildSpan, startHandleSpan, TracedMessage, wrapIfTraced } from './tracing.js';
import type { ActorRef, Clock, Logger } from './types.js';

/** What the scheduler works with: parts the host builds and shares with passivation. */
export interface SchedulerDeps {
  readonly options: ResolvedHostOptions;
  readonly store: SnapshotStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Set only when tracing is on; then messages sent inside a span carry its context (see tracing.ts). */
  readonly tracer: Tracer | undefined;
  /** The host's registered kinds, each with its live activations. */
  readonly kinds: ReadonlyMap<string, KindRuntime>;
  readonly commits: GroupCommit;
  /** Where a new activation is filed for its passivation (passivation.ts collects it). */
  readonly wheel: PassivationWheel<Activation>;
  readonly tap: HandledTap;
  /** What activations call back into: the host itself, so a subclass's `tell`/`ask` (the cluster's) is theirs. */
  readonly services: HostServices;
}

/**
 * The host's mailboxes and turns. Sends append to the actor's mailbox and put the actor on one shared run queue; one
 * macrotask (setImmediate) drains up to `drainBudgetMessages`, then commits every write of that turn in one LMDB
 * transaction (GroupCommit) and only then answers the asks that depended on it.
 */
export class Scheduler {
  /** Set by `ActorHost.close`: from then on every send is refused with HostClosedError. */
  closed = false;
  /** Activations in memory: counted up here when one is activated, down by passivation when one leaves memory. */
  activeCount = 0;
  private readonly options: ResolvedHostOptions;
  private readonly store: SnapshotStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly tracer: Tracer | undefined;
  private readonly kinds: ReadonlyMap<string, KindRuntime>;
  private readonly commits: GroupCommit;
  private readonly wheel: PassivationWheel<Activation>;
  private readonly tap: HandledTap;
  private readonly services: HostServices;
  private readonly runQueue = new RunQueue<Activation>();
  private drainScheduled = false;
  private draining = false;
  private turnNowMs = 0;
  /** Counts handled messages to pick the 1 in HANDLER_TIMING_SAMPLE_EVERY whose handler time is measured. */
  private timingTick = 0;
  private readonly drainFn = () => this.drain();
  private flushScheduled = false;
  private readonly flushFn = () => {
    this.flushScheduled = false;
    if (this.draining) return;
    // A handler still awaiting may write more for the same message: the next drain's end commits it all, as before.
    if (this.commits.openBatchHasBusyActor) this.scheduleDrain();
    else this.commits.flush();
  };

  constructor(deps: SchedulerDeps) {
    this.options = deps.options;
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.tracer = deps.tracer;
    this.kinds = deps.kinds;
    this.commits = deps.commits;
    this.wheel = deps.wheel;
    this.tap = deps.tap;
    this.services = deps.services;
  }

  /** Throws MailboxFullError, ActivationError, UnknownKindError or HostClosedError; the message is then not queued. */
  tell(ref: ActorRef<any, any>, msg: unknown): void {
    this.enqueue(this.actorFor(ref), msg, undefined);
  }

  /** Queues an ask; a refusal (unknown kind, full mailbox, failed activation, closed host) goes to `reject`. */
  enqueueAsk(ref: ActorRef, msg: unknown, resolve: (value: any) => void, reject: (err: unknown) => void, timeoutMs: number): void {
    let reply: AskReply;
    let id: string;
    try {
      const actor = this.actorFor(ref);
      reply = new AskReply(resolve, reject, this.clock, actor.rt.stats.askSeconds);
      this.enqueue(actor, msg, reply);
      id = actor.id;
    } catch (err) {
      reject(err);
      return;
    }
    reply.timer = this.clock.setTimeout(() => reply.reject(new AskTimeoutError(id, timeoutMs)), timeoutMs);
  }

  /** Resolves once every message queued so far is handled and every write committed. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.runQueue.size > 0 || this.commits.hasOpenBatch || this.anyBusy()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else if (this.commits.commitsInFlight > 0) {
        await this.commits.settled();
      } else {
        return;
      }
    }
  }

  /** HostServices.batchFor: the open batch of this turn, for an activation's writes. */
  batchFor(actor: Activation): CommitBatch<Activation> {
    if (actor.discarded !== undefined) throw actor.discarded;
    // A write made after an await in a traced handler: the commit joins that handler's trace.
    if (actor.traceCtx !== undefined) this.commits.traceParent(actor.traceCtx);
    return this.commits.batchFor(actor, this.draining);
  }

  /** HostServices.nowMs: inside a drain, the time the turn started (one clock read per turn, not per message). */
  nowMs(): number {
    return this.draining ? this.turnNowMs : this.clock.now();
  }

  /** Loads the actor from the store into memory and files it on the passivation wheel. Throws ActivationError. */
  activateNew(rt: KindRuntime, key: string): Activation {
    const now = this.clock.now();
    const parent = this.tracer === undefined ? undefined : sampledParent();
    const traced = parent === undefined ? undefined : startChildSpan(this.tracer!, `activate ${rt.name}`, { 'quarry.actor.kind': rt.name, 'quarry.actor.key': key }, parent);
    let actor: Activation;
    try {
      actor = activate(rt, this.services, this.store, key, now);
    } catch (err) {
      if (traced !== undefined) endSpan(traced.span, err);
      throw err;
    }
    if (traced !== undefined) endSpan(traced.span);
    rt.actors.set(key, actor);
    this.activeCount++;
    this.wheel.add(actor, now + rt.passivationIdleMs);
    return actor;
  }

  /** Puts the actor on the run queue (the caller checked it is not there, busy or passivating). */
  schedule(actor: Activation): void {
    actor.scheduled = true;
    this.runQueue.push(actor);
    if (!this.drainScheduled && !this.draining) this.scheduleDrain();
  }

  /** After an async handler or a failed passivation: the actor runs again if messages are waiting. */
  afterAsync(actor: Activation): void {
    if (!actor.dead && !actor.scheduled && !actor.passivating && actor.head < actor.tail) this.schedule(actor);
  }

  /**
   * Commits a batch opened outside a drain (by an async handler's continuation) once the chain of promise
   * continuations now running has settled: Node runs nextTick callbacks only after the microtask queue is empty, so
   * every continuation resolved by the same drain (a handler's writes after its await, and its `finishMessage` emits)
   * is in the batch. A drain scheduled instead would commit one event-loop iteration later (bench gateway: each
   * iteration there is the poll of ~2,000 fixes' I/O a second). If an actor with writes in the batch is still inside
   * its handler then (it awaits something settled by a nextTick of its own, or I/O), the batch waits for the next
   * drain, as it always did: one message's writes are not split more often than before.
   */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flushFn);
  }

  private actorFor(ref: ActorRef<any, any>): Activation {
    if (this.closed) throw new HostClosedError();
    const rt = this.kinds.get(ref.kind);
    if (rt === undefined) throw new UnknownKindError(ref.kind);
    return rt.actors.get(ref.key) ?? this.activateNew(rt, ref.key);
  }

  private enqueue(actor: Activation, msg: unknown, reply: AskReply | undefined): void {
    if (actor.tail - actor.head >= this.options.mailboxCapacity * 2) throw new MailboxFullError(actor.id, this.options.mailboxCapacity);
    actor.enqueue(this.tracer === undefined ? msg : wrapIfTraced(msg, this.clock.now()), reply);
    if (!actor.scheduled && !actor.busy && !actor.passivating) this.schedule(actor);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(this.drainFn);
  }

  private drain(): void {
    this.drainScheduled = false;
    this.draining = true;
    this.turnNowMs = this.clock.now();
    const slice = this.options.actorSliceMessages;
    let budget = this.options.drainBudgetMessages;
    const queue = this.runQueue;
    while (budget > 0) {
      const actor = queue.shift();
      if (actor === undefined) break;
      actor.scheduled = false;
      if (actor.dead || actor.passivating) continue;
      budget -= this.runActor(actor, budget < slice ? budget : slice);
      if (!actor.busy && !actor.dead && actor.head < actor.tail) {
        actor.scheduled = true;
        queue.push(actor);
      }
    }
    this.draining = false;
    this.commits.flush();
    if (queue.size > 0) this.scheduleDrain();
  }

  /** Handles up to `limit` messages of one actor; stops early at an async handler. Returns how many it took. */
  private runActor(actor: Activation, limit: number): number {
    const q = actor.q;
    const handle = actor.rt.def.handle;
    const now = this.turnNowMs;
    let n = 0;
    while (n < limit && actor.head < actor.tail) {
      const i = actor.head;
      let msg = q[i];
      const reply = q[i + 1] as AskReply | undefined;
      let span: Span | undefined;
      let spanCtx;
      if (this.tracer !== undefined && msg instanceof TracedMessage) {
        ({ span, ctx: spanCtx } = startHandleSpan(this.tracer, msg, actor.kind, actor.key, this.clock.now()));
        this.commits.traceParent(spanCtx);
        actor.traceCtx = spanCtx;
        msg = msg.msg;
      }
      q[i] = undefined;
      q[i + 1] = undefined;
      actor.head = i + 2;
      n++;
      actor.beginMessage(now);
      const before = this.tap.before(actor);
      const stats = actor.rt.stats;
      stats.messagesHandled++;
      // Timed 1 message in HANDLER_TIMING_SAMPLE_EVERY: two clock reads per message cost more than a small handler.
      const startedMs = (++this.timingTick & (HANDLER_TIMING_SAMPLE_EVERY - 1)) === 0 ? performance.now() : NOT_TIMED;
      let result: any;
      try {
        result = spanCtx === undefined ? handle(msg, actor) : context.with(spanCtx, handle, undefined, msg, actor);
      } catch (err) {
        if (startedMs !== NOT_TIMED) stats.handlerSeconds.observe((performance.now() - startedMs) / 1000);
        if (span !== undefined) endTracedMessage(actor, span, err);
        actor.finishMessage();
        this.tap.handled(actor, msg, before, true);
        this.handlerFailed(actor, err, reply);
        continue;
      }
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        this.awaitHandler(actor, result as Promise<unknown>, reply, msg, before, span, startedMs);
        break;
      }
      if (startedMs !== NOT_TIMED) stats.handlerSeconds.observe((performance.now() - startedMs) / 1000);
      if (span !== undefined) endTracedMessage(actor, span);
      actor.finishMessage();
      this.tap.handled(actor, msg, before, false);
      if (reply !== undefined) this.reply(actor, reply, result);
    }
    if (actor.head === actor.tail) {
      actor.head = 0;
      actor.tail = 0;
    }
    return n;
  }

  private awaitHandler(actor: Activation, pending: Promise<unknown>, reply: AskReply | undefined, msg: unknown, before: unknown, span: Span | undefined, startedMs: number): void {
    actor.busy = true;
    pending.then(
      (value) => {
        if (actor.discarded !== undefined) return this.endDiscarded(actor, reply, span);
        if (startedMs !== NOT_TIMED) actor.rt.stats.handlerSeconds.observe((performance.now() - startedMs) / 1000);
        if (span !== undefined) endTracedMessage(actor, span);
        actor.busy = false;
        actor.lastActivityMs = this.clock.now();
        actor.finishMessage();
        this.tap.handled(actor, msg, before, false);
        if (reply !== undefined) this.reply(actor, reply, value);
        this.afterAsync(actor);
      },
      (err: unknown) => {
        if (actor.discarded !== undefined) return this.endDiscarded(actor, reply, span);
        if (startedMs !== NOT_TIMED) actor.rt.stats.handlerSeconds.observe((performance.now() - startedMs) / 1000);
        if (span !== undefined) endTracedMessage(actor, span, err);
        actor.busy = false;
        actor.finishMessage();
        this.tap.handled(actor, msg, before, true);
        this.handlerFailed(actor, err, reply);
        this.afterAsync(actor);
      },
    );
  }

  /** An async handler of a discarded activation ended: whatever it returned, its ask gets the discard's error. */
  private endDiscarded(actor: Activation, reply: AskReply | undefined, span: Span | undefined): void {
    actor.busy = false;
    if (span !== undefined) endTracedMessage(actor, span, actor.discarded);
    reply?.reject(actor.discarded);
  }

  private reply(actor: Activation, reply: AskReply, value: unknown): void {
    // Also a reply that wrote nothing waits: it may have read this actor's uncommitted state.
    const b = actor.lastBatch;
    if (b !== null && !b.committed) b.hold(reply, value, actor.id);
    else reply.resolve(value);
  }

  private handlerFailed(actor: Activation, err: unknown, reply: AskReply | undefined): void {
    this.logger.error({ actor: actor.id, err }, 'actor handler failed');
    reply?.reject(new HandlerError(actor.id, { cause: err }));
  }

  private anyBusy(): boolean {
    for (const rt of this.kinds.values()) for (const a of rt.actors.values()) if (a.busy) return true;
    return false;
  }
}
