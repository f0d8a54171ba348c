import type { Tracer } from '@opentelemetry/api';
import type { SnapshotStore, SweepResult } from '../store/snapshot-store.js';
import type { Activation, HostServices, KindRuntime } from './activation.js';
import { systemClock } from './clock.js';
import type { CommitBatch } from './commit-batch.js';
import { KindConflictError } from './errors.js';
import { GroupCommit } from './group-commit.js';
import { HandledTap } from './handled-tap.js';
import { activeActors, actorMetrics, inspectActor, kindMetrics } from './inspection.js';
import { KindStats, type KindMetrics } from './kind-stats.js';
import { consoleLogger } from './logger.js';
import { resolveHostOptions, validateKind, type HostOptions, type ResolvedHostOptions } from './options.js';
import { Passivation } from './passivation.js';
import { PassivationWheel } from './passivation-wheel.js';
import { Scheduler } from './scheduler.js';
import { answerFromStore } from './stored-read.js';
import { TtlSweep } from './ttl-sweep.js';
import type { ActorInspection, ActorMetrics, ActorRef, ActorSystem, AskOptions, Clock, HandledObserver, KindDef, Logger, OutboxSource } from './types.js';

/**
 * Quarry's virtual-actor host on one node: the ActorSystem facade over its mechanisms, each in its own module. The
 * scheduler (scheduler.ts) owns mailboxes and turns: sends append to the actor's mailbox and put the actor on one
 * shared run queue; one macrotask (setImmediate) drains up to `drainBudgetMessages`, then commits every write of that
 * turn in one LMDB transaction (group-commit.ts) and only then answers the asks that depended on it. Idle actors are
 * found by one timer wheel and leave memory through passivation.ts; inspection.ts reads them; ttl-sweep.ts expires
 * sessions and audit entries in the store.
 */
export class ActorHost implements ActorSystem, HostServices {
  readonly options: ResolvedHostOptions;
  private readonly store: SnapshotStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly kinds = new Map<string, KindRuntime>();
  private readonly commits: GroupCommit;
  private readonly scheduler: Scheduler;
  private readonly passivation: Passivation;
  private readonly ttlSweep: TtlSweep;
  private readonly tap: HandledTap;
  /** Set only when tracing is on; then messages sent inside a span carry its context (see tracing.ts). */
  private readonly tracer: Tracer | undefined;
  /** Where sends go once `routeVia` was called (the cluster's router); undefined: to this host. */
  private outbound: ActorSystem | undefined;

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
      onOpened: () => this.scheduler.scheduleFlush(),
      onFailed: (actors) => this.passivation.commitFailed(actors),
    });
    for (const kind of options.kinds ?? []) this.register(kind);
    const wheel = new PassivationWheel<Activation>(this.options.passivationTickMs, this.clock.now());
    const { store, clock, logger, tracer, kinds, commits } = this;
    this.scheduler = new Scheduler({ options: this.options, store, clock, logger, tracer, kinds, commits, wheel, tap: this.tap, services: this });
    this.passivation = new Passivation({ clock, logger, kinds, commits, wheel, scheduler: this.scheduler, tickMs: this.options.passivationTickMs });
    this.ttlSweep = new TtlSweep(store, clock, logger, this.options.ttlSweepIntervalMs);
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

  /**
   * Sends go through `system` from now on (the cluster's router, so a handler's `ctx.tell`/`ctx.ask` reaches actors on
   * other nodes); the router delivers what this node hosts back through `deliverTell`/`deliverAskInto`.
   */
  routeVia(system: ActorSystem): void {
    this.outbound = system;
  }

  /** Throws MailboxFullError, ActivationError, UnknownKindError or HostClosedError; the message is then not queued. */
  tell<M>(ref: ActorRef<M, any>, msg: M): void {
    if (this.outbound !== undefined) this.outbound.tell(ref, msg);
    else this.scheduler.tell(ref, msg);
  }

  ask<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R> {
    if (this.outbound !== undefined) return this.outbound.ask(ref, msg, options);
    return this.askHere(ref, msg, options);
  }

  /** A tell to an actor of this host, whatever `routeVia` says (the router's local delivery). */
  deliverTell(ref: ActorRef<any, any>, msg: unknown): void {
    this.scheduler.tell(ref, msg);
  }

  private askHere<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R> {
    const fromStore = this.readOnlyAnswer(ref, msg);
    if (fromStore !== undefined) return fromStore as Promise<R>;
    const timeoutMs = options?.timeoutMs ?? this.options.askTimeoutMs;
    return new Promise<R>((resolve, reject) => this.scheduler.enqueueAsk(ref, msg, resolve, reject, timeoutMs));
  }

  /**
   * A local `ask` answering into the caller's own callbacks instead of a new promise: for a caller that already holds a
   * promise's callbacks (the cluster router delivering locally), one promise and its `then` fewer per message.
   * The callbacks run synchronously inside the host (a drain, a commit's settlement, or this call for a refusal), so
   * they must not throw: a promise's resolve and reject functions are what they are meant for.
   */
  deliverAskInto(ref: ActorRef, msg: unknown, resolve: (value: any) => void, reject: (err: unknown) => void, timeoutMs: number): void {
    const fromStore = this.readOnlyAnswer(ref, msg);
    if (fromStore !== undefined) fromStore.then(resolve, reject);
    else this.scheduler.enqueueAsk(ref, msg, resolve, reject, timeoutMs);
  }

  /** A read-only message to an idle actor is answered from the store without activating it (KindDef.readOnly). */
  private readOnlyAnswer(ref: ActorRef, msg: unknown): Promise<unknown> | undefined {
    const rt = this.kinds.get(ref.kind);
    if (rt?.def.readOnly === undefined || this.scheduler.closed || rt.actors.has(ref.key)) return undefined;
    // The kind's predicate runs inside the try too: an ask always answers with a promise, never a throw.
    try {
      return rt.def.readOnly(msg) ? answerFromStore(rt, this, this.store, ref.key, msg, this.clock.now()) : undefined;
    } catch (err) {
      return Promise.reject(err);
    }
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
    return activeActors(this.kinds);
  }

  get activeActorCount(): number {
    return this.scheduler.activeCount;
  }

  /** Per kind: active actors, queued messages, messages handled and handler and ask latency (for `/metrics`). */
  kindMetrics(): KindMetrics[] {
    return kindMetrics(this.kinds);
  }

  metrics(ref: ActorRef<any, any>): ActorMetrics | undefined {
    return actorMetrics(this.kinds, ref);
  }

  /** Metrics, state and session of an active actor; undefined when it is not in memory (nothing is activated). */
  inspect(ref: ActorRef<any, any>): ActorInspection | undefined {
    return inspectActor(this.kinds, ref);
  }

  /**
   * Installs the one observer of handled messages (the inspector); returns its uninstaller. Throws when one is
   * installed already, so two inspectors cannot silently steal each other's records.
   */
  observeHandled(observer: HandledObserver): () => void {
    return this.tap.install(observer);
  }

  /** Resolves once every message queued so far is handled and every write committed. */
  flush(): Promise<void> {
    return this.scheduler.flush();
  }

  /**
   * Handles what is queued for the actor, writes its snapshot and drops it from memory: a handoff, where the caller
   * has stopped delivering to this host for the key. Resolves once the snapshot is committed (messages that slipped in
   * meanwhile are handled by a fresh activation, which is then deactivated too); at once when it is not active.
   * Rejects with the store's error when the snapshot cannot be written (the actor then stays active).
   */
  deactivate(ref: ActorRef<any, any>): Promise<void> {
    return this.passivation.deactivate(ref);
  }

  /**
   * Drops every activation at once, without handling its mailbox or writing a snapshot: the caller says this node's
   * memory can no longer be trusted (the cluster lost quorum here, and a majority may already serve these actors from
   * their replicas). Queued asks are rejected with `reason(actorId)`, queued tells dropped; a handler still running
   * ends into nothing (its later writes throw that error, its ask gets it). What was committed stays in the store,
   * and nothing uncommitted was acknowledged. The next message to a key activates it from the store. Returns how many
   * activations were dropped.
   */
  discardAll(reason: (actorId: string) => Error): number {
    return this.passivation.discardAll(reason);
  }

  /** Deletes expired sessions and audit entries now (the sweep timer calls this every `ttlSweepIntervalMs`). */
  sweepNow(): Promise<SweepResult> {
    return this.ttlSweep.now();
  }

  /** Handles what is queued, snapshots every active actor and waits for the commits. The caller closes the store. */
  async close(): Promise<void> {
    if (this.scheduler.closed) return;
    await this.flush();
    this.scheduler.closed = true;
    this.passivation.stop();
    this.ttlSweep.stop();
    for (const rt of this.kinds.values()) {
      for (const a of rt.actors.values()) if (!a.busy && !a.passivating) a.writeSnapshot();
    }
    this.commits.flush();
    await this.commits.settled();
    await this.ttlSweep.settled();
  }

  // ---- HostServices (used by activations) ----

  batchFor(actor: Activation): CommitBatch<Activation> {
    return this.scheduler.batchFor(actor);
  }

  nowMs(): number {
    return this.scheduler.nowMs();
  }
}
