import type { Tracer } from '@opentelemetry/api';
import { InvalidRuntimeOptionError } from './errors.js';
import type { Clock, KindDef, Logger } from './types.js';
import type { SnapshotStore } from '../store/snapshot-store.js';

/** An actor idle this long (empty mailbox, no handler running) is snapshotted and leaves memory, in ms. @default 120000 */
export const DEFAULT_PASSIVATION_IDLE_MS = 120_000;
/** Resolution of the passivation wheel: how often idle actors are collected, in ms. @default 1000 */
export const DEFAULT_PASSIVATION_TICK_MS = 1_000;
/** A full snapshot is written after this many journaled events (and on passivation). @default 100 */
export const DEFAULT_SNAPSHOT_EVERY_MESSAGES = 100;
/** Messages queued per actor before a send fails with MailboxFullError. @default 10000 */
export const DEFAULT_MAILBOX_CAPACITY = 10_000;
/** Deadline of an ask when the caller gives none, in ms. @default 5000 */
export const DEFAULT_ASK_TIMEOUT_MS = 5_000;
/** How often expired session and audit entries are deleted, in ms. @default 60000 */
export const DEFAULT_TTL_SWEEP_INTERVAL_MS = 60_000;
/** Messages handled per macrotask before the host yields to I/O, in messages. @default 20000 */
export const DEFAULT_DRAIN_BUDGET_MESSAGES = 20_000;
/** Messages one actor handles before the next actor in the run queue gets a turn, in messages. @default 256 */
export const DEFAULT_ACTOR_SLICE_MESSAGES = 256;

export interface HostOptions {
  readonly store: SnapshotStore;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** OpenTelemetry tracer; when set, each message sent inside a span gets an `actor <kind>` child span. */
  readonly tracer?: Tracer;
  readonly kinds?: readonly KindDef<any, any, any, any, any>[];
  readonly passivationIdleMs?: number;
  readonly passivationTickMs?: number;
  readonly snapshotEveryMessages?: number;
  readonly mailboxCapacity?: number;
  readonly askTimeoutMs?: number;
  readonly ttlSweepIntervalMs?: number;
  readonly drainBudgetMessages?: number;
  readonly actorSliceMessages?: number;
}

export interface ResolvedHostOptions {
  readonly passivationIdleMs: number;
  readonly passivationTickMs: number;
  readonly snapshotEveryMessages: number;
  readonly mailboxCapacity: number;
  readonly askTimeoutMs: number;
  readonly ttlSweepIntervalMs: number;
  readonly drainBudgetMessages: number;
  readonly actorSliceMessages: number;
}

/** Fills defaults and validates; keys are named as in ops/config (`runtime.*`, `store.*`). */
export function resolveHostOptions(options: HostOptions): ResolvedHostOptions {
  const resolved: ResolvedHostOptions = {
    passivationIdleMs: options.passivationIdleMs ?? DEFAULT_PASSIVATION_IDLE_MS,
    passivationTickMs: options.passivationTickMs ?? DEFAULT_PASSIVATION_TICK_MS,
    snapshotEveryMessages: options.snapshotEveryMessages ?? DEFAULT_SNAPSHOT_EVERY_MESSAGES,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    askTimeoutMs: options.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS,
    ttlSweepIntervalMs: options.ttlSweepIntervalMs ?? DEFAULT_TTL_SWEEP_INTERVAL_MS,
    drainBudgetMessages: options.drainBudgetMessages ?? DEFAULT_DRAIN_BUDGET_MESSAGES,
    actorSliceMessages: options.actorSliceMessages ?? DEFAULT_ACTOR_SLICE_MESSAGES,
  };
  positiveInt('runtime.passivationIdleMs', resolved.passivationIdleMs);
  positiveInt('runtime.passivationTickMs', resolved.passivationTickMs);
  positiveInt('runtime.snapshotEveryMessages', resolved.snapshotEveryMessages);
  positiveInt('runtime.mailboxCapacity', resolved.mailboxCapacity);
  positiveInt('runtime.askTimeoutMs', resolved.askTimeoutMs);
  positiveInt('store.ttlSweepIntervalMs', resolved.ttlSweepIntervalMs);
  positiveInt('runtime.drainBudgetMessages', resolved.drainBudgetMessages);
  positiveInt('runtime.actorSliceMessages', resolved.actorSliceMessages);
  if (options.store === undefined || options.store === null) throw new InvalidRuntimeOptionError('store', 'a SnapshotStore is required');
  return resolved;
}

/** Per-kind overrides are validated when the kind is registered; the key names the kind. */
export function validateKind(def: KindDef<any, any, any, any, any>): void {
  if (typeof def.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(def.name)) {
    throw new InvalidRuntimeOptionError('kind.name', `must be 1-64 letters, digits, . _ -, got ${JSON.stringify(def.name)}`);
  }
  const at = `kind ${def.name}`;
  if (def.passivationIdleMs !== undefined) positiveInt(`${at}.passivationIdleMs`, def.passivationIdleMs);
  if (def.snapshotEveryMessages !== undefined) positiveInt(`${at}.snapshotEveryMessages`, def.snapshotEveryMessages);
  if (def.schemaVersion !== undefined && (!Number.isSafeInteger(def.schemaVersion) || def.schemaVersion < 0)) {
    throw new InvalidRuntimeOptionError(`${at}.schemaVersion`, `must be a non-negative integer, got ${def.schemaVersion}`);
  }
  if (def.session !== undefined) positiveInt(`${at}.session.ttlMs`, def.session.ttlMs);
}

function positiveInt(key: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidRuntimeOptionError(key, `must be a positive integer, got ${value}`);
  }
}
