/**
 * The notifier: how committed game events reach players. Actors `ctx.emit(channel, body)`; the runtime commits
 * the emit in its LMDB outbox with the state change; the outbox relay (`relay.ts`) hands committed entries to
 * `Notifier.publish`; the edge calls `Notifier.subscribe` for each connected player and streams what it gets.
 *
 * Channels: `user.<playerId>` (personal), `building.<buildingId>` (players inside that building), `all`.
 * A player's stream merges their personal channel, the building they are in (the edge says which with
 * `follow`) and `all`. A broadcast is ONE publish to `all` or `building.<id>`, fanned out locally by every node.
 *
 * ## Sequence and cursor
 * Every published event gets a `seq` from the notifier, increasing along each channel (JetStream: the stream
 * sequence; in-process: a node-wide counter), and carries `prevSeq`: the seq of the previous event on the same
 * channel (0 if none). A client keeps, per channel, the seq of the last event it received; an event whose
 * `prevSeq` is beyond that value means events were lost (only possible beyond `notify.replayRetainEvents` or
 * `replayMaxAgeMs`, since the notifier itself replays any gap it sees). Both notifiers give that signal on the first
 * event after the loss (JetStream, not knowing the dropped predecessor's seq, gives `seq - 1`). Seqs are not dense per channel (other channels share the
 * counter), which is why `prevSeq` exists: gap detection is exact without a per-player counter that no single
 * node could own.
 *
 * The resume cursor is therefore per channel: `{ 'user.alice': 812, 'all': 790, 'building.hq': 805 }`.
 * On subscribe, a channel present in the cursor resumes after its seq (0 = from the first retained event);
 * a channel absent from it starts live, except the personal channel, which always resumes (absent = 0), so a
 * player never misses a personal event that is still retained. A cursor seq beyond every seq the notifier has
 * assigned means its history was reset (in-process restart, JetStream stream recreated): that channel replays
 * from the first retained event, whose seqs are then below the client's old cursor (its `prevSeq` 0 tells so). Delivery is in order and without duplicates per
 * channel; across channels it is in arrival order (a channel catching up a gap does not hold back the others).
 * On the wire this is `SubscribeRequest.after_seq` (personal channel) + `SubscribeRequest.cursors` (others), and
 * `Event.seq` / `Event.channel` / `Event.prev_seq`.
 */
import type { OutboxEntry } from '../../actors/runtime/types.js';

/** How long a re-published `dedupId` is dropped, in milliseconds (setting `notify.dedupWindowMs`). @default 300000 */
export const DEFAULT_DEDUP_WINDOW_MS = 300_000;
/** Events retained per channel for replay (setting `notify.replayRetainEvents`). @default 1000 */
export const DEFAULT_REPLAY_RETAIN_EVENTS = 1_000;

/**
 * Events older than this are not replayed (JetStream `max_age`; swept in process), so retention is bounded by
 * time as well as by count per channel: without it, every player ever seen would keep `replayRetainEvents`
 * events forever. In milliseconds. @default 86400000 (24 h)
 */
export const DEFAULT_REPLAY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** One event as delivered to a subscriber. */
export interface NotifyEvent {
  readonly channel: string;
  readonly seq: number;
  /** Seq of the previous event on `channel` (0: none retained before it). */
  readonly prevSeq: number;
  /** When the event was committed (outbox `committedAtMs`). */
  readonly atMs: number;
  readonly body: unknown;
}

/** Per channel, the seq of the last event the client received. See the module comment. */
export type NotifyCursor = Readonly<Record<string, number>>;

export type EventListener = (event: NotifyEvent) => void;

/** One player's live stream on this node. */
export interface PlayerStream {
  readonly playerId: string;
  /**
   * Follows `building.<buildingId>` (replacing any building followed before): live from now, or after
   * `afterSeq` when the client's cursor has one for that building.
   */
  follow(buildingId: string, afterSeq?: number): void;
  /** Stops following the current building, if any. */
  unfollow(): void;
  /** The client's cursor as this node has delivered it. */
  cursor(): NotifyCursor;
  /** Idempotent. */
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /**
   * Called when catching up a channel failed and is being retried (the stream stays open). It gets the stream's
   * player, so one options object can serve every stream (no closure per open stream).
   */
  onError?: (err: Error, playerId: string) => void;
}

export interface Notifier {
  /**
   * Publishes committed outbox entries in order; resolves once the notifier holds them (JetStream: acked).
   * Idempotent by `dedupId` within `notify.dedupWindowMs`: a retried entry is dropped, not delivered twice.
   * Rejects (typed `NotifyPublishError`) when the backend is unreachable; the relay retries.
   */
  publish(entries: readonly OutboxEntry[]): Promise<void>;
  /** Streams `playerId`'s channels from `cursor`, then live. */
  subscribe(playerId: string, cursor: NotifyCursor, onEvent: EventListener, options?: SubscribeOptions): PlayerStream;
  /** Player streams open on this node now (a gauge of `/metrics`). */
  readonly openStreams: number;
  close(): Promise<void>;
}

export class NotifyPublishError extends Error {
  override readonly name = 'NotifyPublishError';
}

/** A replay read that could not produce a consistent answer (backend down, or retention ran during the read); retried. */
export class NotifyReadError extends Error {
  override readonly name = 'NotifyReadError';
}

/** A player or building id that cannot be a channel (dots, wildcards, whitespace, empty). */
export class InvalidChannelError extends Error {
  override readonly name = 'InvalidChannelError';
}

export class NotifyConfigError extends Error {
  override readonly name = 'NotifyConfigError';
}

// Ids become one NATS subject token: no dots, wildcards or whitespace.
const CHANNEL = /^(all|user\.[^.*>\s]+|building\.[^.*>\s]+)$/;

/** True for `all`, `user.<id>`, `building.<id>`. */
export function isChannel(channel: string): boolean {
  return CHANNEL.test(channel);
}

/** `user.<playerId>`; throws {@link InvalidChannelError} for an id that cannot be one subject token. */
export function userChannel(playerId: string): string {
  return checked(`user.${playerId}`);
}

/** `building.<buildingId>`; throws {@link InvalidChannelError} for an id that cannot be one subject token. */
export function buildingChannel(buildingId: string): string {
  return checked(`building.${buildingId}`);
}

function checked(channel: string): string {
  if (!isChannel(channel)) throw new InvalidChannelError(`"${channel}" is not a valid channel (ids may not contain dots, *, > or whitespace)`);
  return channel;
}

export function requirePositiveInt(key: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new NotifyConfigError(`${key} must be a positive integer, got ${value}`);
  return value;
}
