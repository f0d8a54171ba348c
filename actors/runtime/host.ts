import type { SnapshotStore, SweepResult } from '../store/snapshot-store.js';
import { activate, EMPTY_QUEUE, type Activation, type HostServices, type KindRuntime } from './activation.js';
import { AskReply } from './ask-reply.js';
import { systemClock } from './clock.js';
import type { CommitBatch } from './commit-batch.js';
import { AskTimeoutError, HandlerError, HostClosedError, KindConflictError, MailboxFullError, UnknownKindError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { HandledTap } from './handled-tap.js';
import { HANDLER_TIMING_SAMPLE_EVERY, KindStats, NOT_TIMED, type KindMetrics } from './kind-stats.js';
import { consoleLogger } from './logger.js';
import { resolveHostOptions, validateKind, type HostOptions, type ResolvedHostOptions } from './options.js';
import { PassivationWheel } from './passivation-wheel.js';
import { RunQueue } from './run-queue.js';
import { answerFromStore } from './stored-read.js';
import { context, endSpan, endTracedMessage, sampledParent, startChildSpan, startHandleSpan, TracedMessage, wrapIfTraced } from './tracing.js';
import type { Span, Tracer } from '@opentelemetry/api';
import type { ActorInspection, ActorMetrics, ActorRef, ActorSystem, AskOptions, Clock, HandledObserver, KindDef, Logger, OutboxSource } from './types.js';

/**
 * Quarry's virtual-actor host on one node. Sends append to the actor's mailbox and put the actor on one shared run
 * queue; one macrotask (setImmediate) drains up to `drainBudgetMessages`, then commits every write of that turn in one
 * LMDB transaction and only then answers the asks that depended on it. Idle actors are found by one timer wheel.
 */
export class ActorHost implements ActorSystem, HostServices {
  readonly options: ResolvedHostOptions;
  private readonly store: SnapshotStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly kinds = new Map<string, KindRuntime>();
  private readonly runQueue = new RunQueue<Activation>();
  private drainScheduled = false;
  private draining = false;
  private turnNowMs = 0;
  private readonly commits: GroupCommit;
  private readonly wheel: PassivationWheel<Activation>;
  private readonly tickTimer: unknown;
  private readonly sweepTimer: unknown;
  private sweeping: Promise<SweepResult> | null = null;
  private activeCount = 0;
  /** Counts handled messages to pick the 1 in HANDLER_TIMING_SAMPLE_EVERY whose handler time is measured. */
  private timingTick = 0;
  private closed = false;
  private readonly drainFn = () => this.drain();
  private flushScheduled = false;
  private readonly flushFn = () => {
    this.flushScheduled = false;
    if (this.draining) return;
    // A handler still awaiting may write more for the same message: the next drain's end commits it all, as before.
    if (this.commits.openBatchHasBusyActor) this.scheduleDrain();
    else this.commits.flush();
  };
  private readonly tap: HandledTap;
  /** Set only when tracing is on; then messages sent inside a span carry its context (see tracing.ts). */
  private readonly tracer: Tracer | undefined;

  constructor(options: HostOptions) {
    this.options = resolveHostOptions(options);
    this.store = options.store;
    this.tracer = options.tracer;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? consoleLogger();
    this.tap = new HandledTap(this.clock, this.logger);
    this.commits = new GroupCommit({
      store: this.store,
      logger: this.logger,
      tracer: this.tracer,
      onOpened: () => this.scheduleFlush(),
      onFailed: (actors) => {
        for (const a of actors) if (!a.dead && !a.passivating && !a.busy) this.retire(a);
      },
    });
    for (const kind of options.kinds ?? []) this.register(kind);
    this.wheel = new PassivationWheel(this.options.passivationTickMs, this.clock.now());
    this.tickTimer = this.clock.setInterval(() => this.tick(), this.options.passivationTickMs);
    this.sweepTimer = this.clock.setInterval(() => void this.sweepNow(), this.options.ttlSweepIntervalMs);
  }

  register(def: KindDef<any, any, any, any, any>): void {
    const existing = this.kinds.get(def.name);
    if (existing !== undefined) {
      if (existing.def !== def) throw new KindConflictError(def.name);
      return;
    }
    validateKind(def);
    this.kinds.set(def.name, {
      def,
      name: def.name,
      passivationIdleMs: def.passivationIdleMs ?? this.options.passivationIdleMs,
      snapshotEveryMessages: def.snapshotEveryMessages ?? this.options.snapshotEveryMessages,
      schemaVersion: def.schemaVersion ?? 1,
      actors: new Map(),
      stats: new KindStats(),
    });
  }

  ref<M, R>(kind: KindDef<any, M, R, any, any>, key: string): ActorRef<M, R> {
    this.register(kind);
    return { kind: kind.name, key };
  }

  /** Throws MailboxFullError, ActivationError, UnknownKindError or HostClosedError; the message is then not queued. */
  tell<M>(ref: ActorRef<M, any>, msg: M): void {
    this.enqueue(this.actorFor(ref), msg, undefined);
  }

  ask<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R> {
    const fromStore = this.readOnlyAnswer(ref, msg);
    if (fromStore !== undefined) return fromStore as Promise<R>;
    const timeoutMs = options?.timeoutMs ?? this.options.askTimeoutMs;
    return new Promise<R>((resolve, reject) => this.enqueueAsk(ref, msg, resolve, reject, timeoutMs));
  }

  /**
   * `ask` answering into the caller's own callbacks instead of a new promise: for a caller that already holds a
   * promise's callbacks (the cluster router delivering locally), one promise and its `then` fewer per message.
   * The callbacks run synchronously inside the host (a drain, a commit's settlement, or this call for a refusal), so
   * they must not throw: a promise's resolve and reject functions are what they are meant for.
   */
  protected askInto(ref: ActorRef, msg: unknown, resolve: (value: any) => void, reject: (err: unknown) => void, timeoutMs: number): void {
    const fromStore = this.readOnlyAnswer(ref, msg);
    if (fromStore !== undefined) fromStore.then(resolve, reject);
    else this.enqueueAsk(ref, msg, resolve, reject, timeoutMs);
  }

  /** A read-only message to an idle actor is answered from the store without activating it (KindDef.readOnly). */
  private readOnlyAnswer(ref: ActorRef, msg: unknown): Promise<unknown> | undefined {
    const rt = this.kinds.get(ref.kind);
    if (rt?.def.readOnly === undefined || this.closed || rt.actors.has(ref.key)) return undefined;
    // The kind's predicate runs inside the try too: an ask always answers with a promise, never a throw.
    try {
      return rt.def.readOnly(msg) ? answerFromStore(rt, this, this.store, ref.key, msg, this.clock.now()) : undefined;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Queues an ask; a refusal (unknown kind, full mailbox, failed activation, closed host) goes to `reject`. */
  private enqueueAsk(ref: ActorRef, msg: unknown, resolve: (value: any) => void, reject: (err: unknown) => void, timeoutMs: number): void {
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

  /** True when this host makes spans: then a message queued elsewhere may carry its trace context (wrapIfTraced). */
  get tracing(): boolean {
    return this.tracer !== undefined;
  }

  get outbox(): OutboxSource {
    return this.store.outbox;
  }

  /** Active actors (in memory), for the inspector. */
  activeActors(): ActorRef[] {
    const out: ActorRef[] = [];
    for (const rt of this.kinds.values()) for (const key of rt.actors.keys()) out.push({ kind: rt.name, key });
    return out;
  }

  get activeActorCount(): number {
    return this.activeCount;
  }

  /** Per kind: active actors, queued messages, messages handled and handler and ask latency (for `/metrics`). */
  kindMetrics(): KindMetrics[] {
    const out: KindMetrics[] = [];
    for (const rt of this.kinds.values()) {
      let mailboxDepth = 0;
      for (const a of rt.actors.values()) mailboxDepth += a.mailboxDepth;
      const { stats } = rt;
      out.push({ kind: rt.name, activeActors: rt.actors.size, mailboxDepth, messagesHandled: stats.messagesHandled, handlerSeconds: stats.handlerSeconds.snapshot(), askSeconds: stats.askSeconds.snapshot() });
    }
    return out;
  }

  metrics(ref: ActorRef<any, any>): ActorMetrics | undefined {
    const a = this.kinds.get(ref.kind)?.actors.get(ref.key);
    if (a === undefined) return undefined;
    return {
      kind: a.kind,
      key: a.key,
      mailboxDepth: a.mailboxDepth,
      messagesHandled: a.messagesHandled,
      lastActivityMs: a.lastActivityMs,
      passivationDueMs: a.lastActivityMs + a.rt.passivationIdleMs,
      activationCount: a.activationCount,
      seq: a.seq,
      snapshotSeq: a.snapshotSeq,
      busy: a.busy,
    };
  }

  /** Metrics, state and session of an active actor; undefined when it is not in memory (nothing is activated). */
  inspect(ref: ActorRef<any, any>): ActorInspection | undefined {
    const metrics = this.metrics(ref);
    if (metrics === undefined) return undefined;
    const a = this.kinds.get(ref.kind)!.actors.get(ref.key)!;
    return { metrics, state: a.state, session: a.session };
  }

  /**
   * Installs the one observer of handled messages (the inspector); returns its uninstaller. Throws when one is
   * installed already, so two inspectors cannot silently steal each other's records.
   */
  observeHandled(observer: HandledObserver): () => void {
    return this.tap.install(observer);
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

  /**
   * Handles what is queued for the actor, writes its snapshot and drops it from memory: a handoff, where the caller
   * has stopped delivering to this host for the key. Resolves once the snapshot is committed (messages that slipped in
   * meanwhile are handled by a fresh activation, which is then deactivated too); at once when it is not active.
   * Rejects with the store's error when the snapshot cannot be written (the actor then stays active).
   */
  async deactivate(ref: ActorRef<any, any>): Promise<void> {
    for (;;) {
      const a = this.kinds.get(ref.kind)?.actors.get(ref.key);
      if (a === undefined || this.closed) return;
      if (a.busy || a.scheduled || a.passivating || a.head < a.tail) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        this.passivate(a, (err) => (err === undefined ? resolve() : reject(err)));
        this.commits.flush();
      });
    }
  }

  /** Deletes expired sessions and audit entries now (the sweep timer calls this every `ttlSweepIntervalMs`). */
  sweepNow(): Promise<SweepResult> {
    if (this.sweeping !== null) return this.sweeping;
    const run = this.store.sweepExpired(this.clock.now());
    this.sweeping = run;
    const done = () => {
      this.sweeping = null;
    };
    run.then(done, (err: unknown) => {
      done();
      this.logger.error({ err }, 'TTL sweep failed');
    });
    return run;
  }

  /** Handles what is queued, snapshots every active actor and waits for the commits. The caller closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.clock.clearInterval(this.tickTimer);
    this.clock.clearInterval(this.sweepTimer);
    for (const rt of this.kinds.values()) {
      for (const a of rt.actors.values()) if (!a.busy && !a.passivating) a.writeSnapshot();
    }
    this.commits.flush();
    await this.commits.settled();
    await this.sweeping?.catch(() => undefined);
  }

  // ---- HostServices (used by activations) ----

  batchFor(actor: Activation): CommitBatch<Activation> {
    // A write made after an await in a traced handler: the commit joins that handler's trace.
    if (actor.traceCtx !== undefined) this.commits.traceParent(actor.traceCtx);
    return this.commits.batchFor(actor, this.draining);
  }

  nowMs(): number {
    return this.draining ? this.turnNowMs : this.clock.now();
  }

  // ---- mailbox and scheduling ----

  private actorFor(ref: ActorRef<any, any>): Activation {
    if (this.closed) throw new HostClosedError();
    const rt = this.kinds.get(ref.kind);
    if (rt === undefined) throw new UnknownKindError(ref.kind);
    return rt.actors.get(ref.key) ?? this.activateNew(rt, ref.key);
  }

  private activateNew(rt: KindRuntime, key: string): Activation {
    const now = this.clock.now();
    const parent = this.tracer === undefined ? undefined : sampledParent();
    const traced = parent === undefined ? undefined : startChildSpan(this.tracer!, `activate ${rt.name}`, { 'quarry.actor.kind': rt.name, 'quarry.actor.key': key }, parent);
    let actor: Activation;
    try {
      actor = activate(rt, this, this.store, key, now);
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

  private enqueue(actor: Activation, msg: unknown, reply: AskReply | undefined): void {
    if (actor.tail - actor.head >= this.options.mailboxCapacity * 2) throw new MailboxFullError(actor.id, this.options.mailboxCapacity);
    actor.enqueue(this.tracer === undefined ? msg : wrapIfTraced(msg, this.clock.now()), reply);
    if (!actor.scheduled && !actor.busy && !actor.passivating) this.schedule(actor);
  }

  private schedule(actor: Activation): void {
    actor.scheduled = true;
    this.runQueue.push(actor);
    if (!this.drainScheduled && !this.draining) this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(this.drainFn);
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
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flushFn);
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

  private afterAsync(actor: Activation): void {
    if (!actor.dead && !actor.scheduled && !actor.passivating && actor.head < actor.tail) this.schedule(actor);
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

  // ---- passivation ----

  private tick(): void {
    const now = this.clock.now();
    let passivated = false;
    for (const actor of this.wheel.collect(now)) {
      if (actor.dead || actor.passivating) continue;
      const dueMs = actor.lastActivityMs + actor.rt.passivationIdleMs;
      if (actor.busy || actor.scheduled || actor.head < actor.tail || dueMs > now) {
        this.wheel.add(actor, dueMs);
        continue;
      }
      this.passivate(actor);
      passivated = true;
    }
    if (passivated) this.commits.flush();
  }

  /** Snapshots and retires `actor`; `settled` (if given) runs once it is retired, or with the error of its snapshot. */
  private passivate(actor: Activation, settled?: (err?: unknown) => void): void {
    actor.passivating = true;
    actor.writeSnapshot();
    actor.lastBatch!.hold(
      {
        resolve: () => {
          this.retire(actor);
          settled?.();
        },
        reject: (err: unknown) => {
          settled?.(err);
          this.logger.error({ actor: actor.id, err }, 'passivation snapshot failed; actor stays active');
          actor.passivating = false;
          this.wheel.add(actor, this.clock.now() + actor.rt.passivationIdleMs);
          this.afterAsync(actor);
        },
      },
      undefined,
      actor.id,
    );
  }

  /**
   * Drops the activation. Messages that arrived meanwhile (during its passivation snapshot) move, in order, to
   * a new activation loaded from the store, so each is handled exactly once.
   */
  private retire(actor: Activation): void {
    actor.dead = true;
    actor.rt.actors.delete(actor.key);
    this.activeCount--;
    if (actor.head >= actor.tail) return;
    const { q, head, tail } = actor;
    actor.q = EMPTY_QUEUE;
    actor.head = actor.tail = 0;
    let next: Activation;
    try {
      next = this.activateNew(actor.rt, actor.key);
    } catch (err) {
      for (let i = head + 1; i < tail; i += 2) (q[i] as AskReply | undefined)?.reject(err);
      return;
    }
    next.q = q;
    next.head = head;
    next.tail = tail;
    this.schedule(next);
  }
}
