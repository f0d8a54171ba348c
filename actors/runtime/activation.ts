import { decodeValue, encodeSnapshot, encodeValue } from '../store/snapshot-codec.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { CommitBatch } from './commit-batch.js';
import type { KindStats } from './kind-stats.js';
import { ActivationError } from './errors.js';
import type { WheelItem } from './passivation-wheel.js';
import { context } from './tracing.js';
import type { ActorContext, ActorRef, AskOptions, KindDef } from './types.js';
import type { Context } from '@opentelemetry/api';

/** A registered kind with its effective settings and its live activations. */
export interface KindRuntime {
  readonly def: KindDef<any, any, any, any, any>;
  readonly name: string;
  readonly passivationIdleMs: number;
  readonly snapshotEveryMessages: number;
  readonly schemaVersion: number;
  readonly actors: Map<string, Activation>;
  readonly stats: KindStats;
}

/** What an activation needs from its host. */
export interface HostServices {
  batchFor(actor: Activation): CommitBatch<Activation>;
  tell(ref: ActorRef<any, any>, msg: unknown): void;
  ask(ref: ActorRef<any, any>, msg: unknown, options?: AskOptions): Promise<any>;
  nowMs(): number;
}

export const EMPTY_QUEUE: unknown[] = Object.freeze([]) as unknown as unknown[];

/**
 * One actor in memory. It is its own handler context and its own ref, so a message costs no allocation here;
 * the mailbox is an array of (message, reply) pairs in [head, tail), kept (not freed) when drained so a busy
 * actor does not allocate per message burst.
 */
export class Activation implements ActorContext<any, any, any>, ActorRef<any, any>, WheelItem {
  readonly kind: string;
  state: any;
  session: any;
  seq = 0;
  snapshotSeq = 0;
  activationCount = 1;
  messagesHandled = 0;
  lastActivityMs: number;
  sessionTouchedMs: number;
  sessionStoredExpiresAtMs: number | undefined = undefined;
  q: unknown[] = EMPTY_QUEUE;
  head = 0;
  tail = 0;
  scheduled = false;
  busy = false;
  passivating = false;
  dead = false;
  /** Set when the host discarded this activation (`ActorHost.discardAll`): every later write throws it. */
  discarded: Error | undefined = undefined;
  wheelSlot = -1;
  lastBatch: CommitBatch<Activation> | null = null;
  /**
   * The trace context of the sampled message being handled, undefined otherwise: this actor's sends and writes join
   * that trace explicitly, also after an `await` in its handler (the node's context manager carries nothing across one).
   */
  traceCtx: Context | undefined = undefined;
  private eventsThisMessage = 0;
  private emits: unknown[] | null = null;

  constructor(readonly rt: KindRuntime, private readonly host: HostServices, readonly key: string, nowMs: number) {
    this.kind = rt.name;
    this.lastActivityMs = nowMs;
    this.sessionTouchedMs = nowMs;
  }

  get id(): string {
    return `${this.kind}/${this.key}`;
  }

  get self(): ActorRef {
    return this;
  }

  get mailboxDepth(): number {
    return (this.tail - this.head) >> 1;
  }

  persist(event: unknown): void {
    const apply = this.rt.def.apply;
    if (apply === undefined) throw new TypeError(`kind ${this.kind} persists events but defines no apply()`);
    // Encoded before apply, so an event object that the state later mutates is journaled as it was.
    const bytes = encodeValue(event);
    this.state = apply(this.state, event);
    this.seq++;
    this.eventsThisMessage++;
    this.host.batchFor(this).ops.push({ t: 'journal', kind: this.kind, key: this.key, seq: this.seq, event: bytes });
  }

  emit(channel: string, body: unknown): void {
    (this.emits ??= []).push(channel, encodeValue(body));
  }

  audit(entry: Record<string, unknown>): void {
    this.host.batchFor(this).ops.push({ t: 'audit', kind: this.kind, key: this.key, atMs: this.host.nowMs(), entry: encodeValue(entry) });
  }

  tell<M2>(ref: ActorRef<M2, any>, msg: M2): void {
    if (this.traceCtx === undefined) this.host.tell(ref, msg);
    else context.with(this.traceCtx, () => this.host.tell(ref, msg));
  }

  ask<M2, R2>(ref: ActorRef<M2, R2>, msg: M2, options?: AskOptions): Promise<R2> {
    if (this.traceCtx === undefined) return this.host.ask(ref, msg, options);
    return context.with(this.traceCtx, () => this.host.ask(ref, msg, options));
  }

  now(): number {
    return this.host.nowMs();
  }

  enqueue(msg: unknown, reply: unknown): void {
    let q = this.q;
    if (this.tail === q.length) {
      const live = this.tail - this.head;
      if (this.head > 0 && live <= q.length >> 1) {
        for (let i = 0; i < live; i++) q[i] = q[this.head + i];
        for (let i = live; i < this.tail; i++) q[i] = undefined;
      } else {
        const next = new Array<unknown>(Math.max(4, q.length * 2));
        for (let i = 0; i < live; i++) next[i] = q[this.head + i];
        q = this.q = next;
      }
      this.head = 0;
      this.tail = live;
    }
    q[this.tail] = msg;
    q[this.tail + 1] = reply;
    this.tail += 2;
  }

  /** Called before each message: a session idle past its TTL starts over. */
  beginMessage(nowMs: number): void {
    const session = this.rt.def.session;
    if (session !== undefined) {
      if (nowMs - this.sessionTouchedMs >= session.ttlMs) this.session = session.initial(this.key);
      this.sessionTouchedMs = nowMs;
    }
    this.lastActivityMs = nowMs;
  }

  /** Called after each message (also after a throw): emits go to the outbox; maybe a snapshot. */
  finishMessage(): void {
    const emits = this.emits;
    if (emits !== null) {
      this.emits = null;
      const batch = this.host.batchFor(this);
      // A message that only emits still takes a journal seq, so its dedup ids never repeat after a restart.
      if (this.eventsThisMessage === 0) {
        this.seq++;
        batch.ops.push({ t: 'journal', kind: this.kind, key: this.key, seq: this.seq, event: null });
      }
      const at = this.host.nowMs();
      for (let i = 0; i < emits.length; i += 2) {
        batch.ops.push({ t: 'outbox', channel: emits[i] as string, body: emits[i + 1] as Uint8Array, dedupId: `${this.id}/${this.seq}/${i >> 1}`, committedAtMs: at });
      }
    }
    this.eventsThisMessage = 0;
    this.messagesHandled++;
    if (this.seq - this.snapshotSeq >= this.rt.snapshotEveryMessages) this.writeSnapshot();
  }

  /** Queues a snapshot (and the live session) in the current batch; journal entries it covers are pruned. */
  writeSnapshot(): void {
    const batch = this.host.batchFor(this);
    const bytes = encodeSnapshot({ state: this.state, seq: this.seq, schemaVersion: this.rt.schemaVersion, activationCount: this.activationCount });
    batch.ops.push({ t: 'snapshot', kind: this.kind, key: this.key, bytes, seq: this.seq, pruneAfterSeq: this.snapshotSeq });
    this.snapshotSeq = this.seq;
    const session = this.rt.def.session;
    if (session !== undefined) {
      const expiresAtMs = this.sessionTouchedMs + session.ttlMs;
      if (expiresAtMs > this.host.nowMs()) {
        batch.ops.push({
          t: 'session',
          kind: this.kind,
          key: this.key,
          value: encodeValue(this.session),
          expiresAtMs,
          previousExpiresAtMs: this.sessionStoredExpiresAtMs,
        });
        this.sessionStoredExpiresAtMs = expiresAtMs;
      }
    }
  }
}

/** Latest snapshot + journal tail + unexpired session. Throws ActivationError (cause: e.g. CorruptSnapshotError). */
export function activate(rt: KindRuntime, host: HostServices, store: SnapshotStore, key: string, nowMs: number): Activation {
  const actor = new Activation(rt, host, key, nowMs);
  const def = rt.def;
  try {
    const snap = store.readSnapshot(rt.name, key);
    if (snap === undefined) {
      actor.state = def.initialState(key);
    } else {
      if (snap.schemaVersion === rt.schemaVersion) actor.state = snap.state;
      else if (def.migrate !== undefined) actor.state = def.migrate(snap.state, snap.schemaVersion);
      else throw new ActivationError(actor.id, `snapshot has schema version ${snap.schemaVersion}, kind has ${rt.schemaVersion} and no migrate()`);
      actor.seq = actor.snapshotSeq = snap.seq;
      actor.activationCount = snap.activationCount + 1;
    }
    for (const entry of store.readJournal(rt.name, key, actor.seq)) {
      if (entry.event !== null) {
        if (def.apply === undefined) throw new ActivationError(actor.id, 'journal holds events but the kind defines no apply()');
        actor.state = def.apply(actor.state, decodeValue(entry.event));
      }
      actor.seq = entry.seq;
    }
    if (def.session !== undefined) {
      const stored = store.readSession(rt.name, key);
      actor.sessionStoredExpiresAtMs = stored?.expiresAtMs;
      if (stored !== undefined && stored.expiresAtMs > nowMs) {
        actor.session = decodeValue(stored.value);
        actor.sessionTouchedMs = stored.expiresAtMs - def.session.ttlMs;
      } else {
        actor.session = def.session.initial(key);
      }
    }
  } catch (cause) {
    if (cause instanceof ActivationError) throw cause;
    throw new ActivationError(actor.id, cause instanceof Error ? cause.message : String(cause), { cause });
  }
  return actor;
}
