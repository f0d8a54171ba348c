/**
 * The public face of Quarry's actor runtime. `actors/hunt` (and any game) codes against these types only;
 * the local host (`host.ts`) and, later, the cluster router implement `ActorSystem`.
 *
 * Model (nact users will recognise it): an actor is addressed by `(kind, key)`, always exists logically,
 * is activated on its first message and passivated (snapshotted, dropped from memory) when idle.
 * Messages to one actor are handled one at a time, in order per sender.
 *
 * State has three parts with separate lifetimes (seed 000: one TTL for everything broke the game):
 * - `state`: permanent, event-sourced: the handler calls `ctx.persist(event)`, `apply` folds the event in,
 *   the event is journaled in LMDB, and an `ask` is answered only after that commit. Snapshots every
 *   `snapshotEveryMessages` events and on passivation; replay = latest snapshot + journal tail.
 * - `session`: volatile, with its own idle TTL (`session.ttlMs`); kept in a separate LMDB database and
 *   swept when expired. Losing it costs the player a smoothing window, never points.
 * - `audit`: append-only entries (`ctx.audit`) kept `store.auditRetentionDays`, queryable per actor.
 */

/** Typed address of an actor. `M` is the message type it accepts, `R` its reply type (phantom types). */
export interface ActorRef<M = unknown, R = unknown> {
  readonly kind: string;
  readonly key: string;
  /** Never set; carries the message and reply types so a wrong message is a compile error. */
  readonly __types?: { msg: M; reply: R };
}

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface SessionDef<X> {
  /** The session part expires this long after the actor's last message that touched it. */
  readonly ttlMs: number;
  initial(key: string): X;
}

export interface KindDef<S, M, R, E = never, X = undefined> {
  readonly name: string;
  /** Overrides `runtime.passivationIdleMs` for this kind. */
  readonly passivationIdleMs?: number;
  /** Overrides `runtime.snapshotEveryMessages` for this kind. */
  readonly snapshotEveryMessages?: number;
  /** Bumped when the state's shape changes; a snapshot of another version goes through `migrate`. */
  readonly schemaVersion?: number;
  migrate?(state: unknown, fromVersion: number): S;
  initialState(key: string): S;
  /** Pure fold of a persisted event into the state (may mutate and return `state`). */
  apply?(state: S, event: E): S;
  readonly session?: SessionDef<X>;
  /** Handles one message; the returned value (or promise) answers an `ask`. */
  handle(msg: M, ctx: ActorContext<S, E, X>): R | Promise<R>;
  /**
   * Messages that only read (no persist, emit or audit). One sent to an actor that is not active is answered from
   * its stored state (what an activation would load) without activating it; an active actor handles it in its
   * mailbox order as usual. A write attempted from stored state fails the ask (ReadOnlyMessageError).
   */
  readOnly?(msg: M): boolean;
  /** Wire codecs, needed only when messages cross nodes. */
  readonly messageCodec?: Codec<M>;
  readonly replyCodec?: Codec<R>;
}

export interface AskOptions {
  timeoutMs?: number;
}

/** What a handler sees. `state` and `session` are current: `persist` applies the event before returning. */
export interface ActorContext<S, E, X> {
  readonly self: ActorRef;
  readonly state: S;
  session: X;
  /** Journals the event (committed before the ask reply is sent) and applies it to `state`. */
  persist(event: E): void;
  /**
   * Queues a notification for `channel` (e.g. `user.alice`, `building.hq`, `all`) in the outbox, committed in
   * the same LMDB transaction as this message's persisted events, so a notifier outage delays it but never
   * loses it. Not called during replay.
   */
  emit(channel: string, body: unknown): void;
  /** Appends an audit entry (kept `store.auditRetentionDays`). */
  audit(entry: Record<string, unknown>): void;
  tell<M2>(ref: ActorRef<M2, any>, msg: M2): void;
  ask<M2, R2>(ref: ActorRef<M2, R2>, msg: M2, options?: AskOptions): Promise<R2>;
  now(): number;
}

/** Sends to actors wherever they live. Implemented by the local host and by the cluster router. */
export interface ActorSystem {
  ref<M, R>(kind: KindDef<any, M, R, any, any>, key: string): ActorRef<M, R>;
  tell<M>(ref: ActorRef<M, any>, msg: M): void;
  ask<M, R>(ref: ActorRef<M, R>, msg: M, options?: AskOptions): Promise<R>;
}

/** Injectable time source; tests use @sinonjs/fake-timers through it. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The subset of pino's API the lower layers use, so they need not import pino or ops/. */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export function defineKind<S, M, R, E = never, X = undefined>(def: KindDef<S, M, R, E, X>): KindDef<S, M, R, E, X> {
  return def;
}

/** One committed notification waiting to be published. `id` is unique per node and increases with commit order. */
export interface OutboxEntry {
  readonly id: number;
  readonly channel: string;
  readonly body: unknown;
  /** Stable across retries and restarts (`kind/key/actorSeq/n`): the notifier's dedup key. */
  readonly dedupId: string;
  readonly committedAtMs: number;
}

/** The runtime's outbox as the notifier's relay sees it. */
export interface OutboxSource {
  /** Entries with id > afterId, oldest first. */
  readPending(afterId: number, limit: number): OutboxEntry[];
  /** Deletes entries with id <= uptoId once they are published. */
  ack(uptoId: number): Promise<void>;
  /** Resolves when something new is committed (so the relay need not poll tightly). */
  onCommit(listener: () => void): () => void;
}

/** One active actor's figures, as the inspector shows them. Times are the host clock's ms. */
export interface ActorMetrics {
  readonly kind: string;
  readonly key: string;
  readonly mailboxDepth: number;
  /** Messages handled by this activation. */
  readonly messagesHandled: number;
  readonly lastActivityMs: number;
  /** When the actor passivates if nothing arrives before (resolution: the passivation tick). */
  readonly passivationDueMs: number;
  /** Activations of this actor so far, this one included (kept in its snapshot). */
  readonly activationCount: number;
  /** Journal sequence number of the latest event, and of the latest snapshot. */
  readonly seq: number;
  readonly snapshotSeq: number;
  /** An async handler is in flight. */
  readonly busy: boolean;
}

export interface ActorInspection {
  readonly metrics: ActorMetrics;
  readonly state: unknown;
  readonly session: unknown;
}

/** One message an actor handled, as a `HandledObserver` sees it. `before` is a deep copy taken before the handler. */
export interface HandledRecord {
  readonly kind: string;
  readonly key: string;
  readonly msg: unknown;
  readonly before: unknown;
  /** The live state object after the handler (copy it before keeping it). */
  readonly after: unknown;
  readonly atMs: number;
  /** Set when the handler threw or rejected. */
  readonly failed: boolean;
}

/**
 * Opt-in observer of handled messages (the inspector's "recent messages"). While none is installed the host's hot path
 * only tests one field per message; while one is installed, `wants` picks the actors whose state is copied.
 */
export interface HandledObserver {
  wants(kind: string, key: string): boolean;
  handled(record: HandledRecord): void;
}
