/**
 * In-process notifier for a single node with no NATS (the demo's default). Same contract as the JetStream
 * one: a node-wide seq, `prevSeq` per channel, the last `replayRetainEvents` events kept per channel for
 * replay, and `dedupId`s remembered for `dedupWindowMs`. Nothing here is durable: after a restart the
 * outbox re-publishes what was not acked, and seqs start over (clients resuming with an old cursor get the
 * retained events of the new run, as after a JetStream stream reset).
 */
import type { OutboxEntry, Logger } from '../../actors/runtime/types.js';
import { LocalFanout, type ChannelReader } from './fanout.js';
import {
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_REPLAY_MAX_AGE_MS,
  DEFAULT_REPLAY_RETAIN_EVENTS,
  isChannel,
  requirePositiveInt,
  type EventListener,
  type Notifier,
  type NotifyCursor,
  type NotifyEvent,
  type PlayerStream,
  type SubscribeOptions,
} from './notifier.js';

export interface InProcessNotifierOptions {
  /** See {@link DEFAULT_DEDUP_WINDOW_MS}. */
  dedupWindowMs?: number;
  /** See {@link DEFAULT_REPLAY_RETAIN_EVENTS}. */
  replayRetainEvents?: number;
  /** See {@link DEFAULT_REPLAY_MAX_AGE_MS}; ages are measured from publish time on `now`. */
  replayMaxAgeMs?: number;
  /** Injected time (tests use fake timers through it). @default Date.now */
  now?: () => number;
  logger?: Logger;
}

export class InProcessNotifier implements Notifier, ChannelReader {
  private readonly dedupWindowMs: number;
  private readonly retain: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly maxAgeMs: number;
  private readonly channels = new Map<string, NotifyEvent[]>();
  /** Publish time (on `now`) per seq, for age-based expiry; separate from `atMs`, the commit time. */
  private readonly publishedAt = new Map<number, number>();
  private lastSweepMs: number;
  /** dedupId -> when it was first seen; Map iteration order is insertion order, so expiry pops from the front. */
  private readonly seen = new Map<string, number>();
  private readonly fanout: LocalFanout;
  private seq = 0;

  constructor(options: InProcessNotifierOptions = {}) {
    this.dedupWindowMs = requirePositiveInt('notify.dedupWindowMs', options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS);
    this.retain = requirePositiveInt('notify.replayRetainEvents', options.replayRetainEvents ?? DEFAULT_REPLAY_RETAIN_EVENTS);
    this.maxAgeMs = requirePositiveInt('replayMaxAgeMs', options.replayMaxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS);
    this.now = options.now ?? Date.now;
    this.lastSweepMs = this.now();
    this.logger = options.logger;
    // Reads never fail in-process, so the retry settings only matter for the JetStream notifier.
    this.fanout = new LocalFanout(this, { retryBaseMs: 10, retryMaxMs: 1_000, catchUpBufferEvents: this.retain, maxConcurrentReads: 64 });
  }

  async publish(entries: readonly OutboxEntry[]): Promise<void> {
    this.expireDedup();
    this.sweepAged();
    for (const entry of entries) {
      if (!isChannel(entry.channel)) {
        this.logger?.error({ channel: entry.channel, dedupId: entry.dedupId }, 'notify: dropping entry with an invalid channel');
        continue;
      }
      if (this.seen.has(entry.dedupId)) continue;
      this.seen.set(entry.dedupId, this.now());
      let log = this.channels.get(entry.channel);
      if (!log) this.channels.set(entry.channel, (log = []));
      const event: NotifyEvent = {
        channel: entry.channel,
        seq: ++this.seq,
        prevSeq: log.at(-1)?.seq ?? 0,
        atMs: entry.committedAtMs,
        body: entry.body,
      };
      log.push(event);
      this.publishedAt.set(event.seq, this.now());
      if (log.length > this.retain) for (const dropped of log.splice(0, log.length - this.retain)) this.publishedAt.delete(dropped.seq);
      this.fanout.dispatch(event);
    }
  }

  get openStreams(): number {
    return this.fanout.streamCount;
  }

  /** Local stream channels catching up (see `LocalFanout.catchingUp`). */
  get catchingUp(): number {
    return this.fanout.catchingUp;
  }

  subscribe(playerId: string, cursor: NotifyCursor, onEvent: EventListener, options?: SubscribeOptions): PlayerStream {
    return this.fanout.subscribe(playerId, cursor, onEvent, options);
  }

  async readAfter(channel: string, afterSeq: number): Promise<NotifyEvent[]> {
    const log = this.channels.get(channel) ?? [];
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return log.slice(lo);
  }

  async isAhead(seq: number): Promise<boolean> {
    return seq > this.seq;
  }

  async close(): Promise<void> {
    this.fanout.close();
  }

  /** Drops events older than `replayMaxAgeMs` and empty channels; runs at most every tenth of that age. */
  private sweepAged(): void {
    const nowMs = this.now();
    if (nowMs - this.lastSweepMs < this.maxAgeMs / 10) return;
    this.lastSweepMs = nowMs;
    const cutoff = nowMs - this.maxAgeMs;
    for (const [channel, log] of this.channels) {
      let keep = 0;
      while (keep < log.length && this.publishedAt.get(log[keep]!.seq)! <= cutoff) this.publishedAt.delete(log[keep++]!.seq);
      if (keep === log.length) this.channels.delete(channel);
      else if (keep > 0) log.splice(0, keep);
    }
  }

  private expireDedup(): void {
    const cutoff = this.now() - this.dedupWindowMs;
    for (const [id, at] of this.seen) {
      if (at > cutoff) break;
      this.seen.delete(id);
    }
  }
}
