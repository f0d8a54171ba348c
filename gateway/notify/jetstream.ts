/**
 * NATS JetStream notifier. One stream (`streamName`) over `<prefix>.>`: channel `user.alice` is subject
 * `<prefix>.user.alice` (the prefix lets several deployments or tests share a server). The stream keeps
 * `replayRetainEvents` messages per subject, drops a re-published `Nats-Msg-Id` (= outbox `dedupId`) within
 * `dedupWindowMs`, and republishes every stored message to `<prefix>live.>` with `Nats-Sequence` and
 * `Nats-Last-Sequence` (the previous seq on the same subject) headers: that is where `seq`/`prevSeq` come from.
 *
 * No JetStream consumer per player: each node has ONE core subscription on `<prefix>live.>` and fans out in
 * process (`fanout.ts`), so a broadcast to 20k players is one publish and one message per node. Replay reads
 * only the gap: a direct get for the subject's last seq, then a direct get (one missed event) or a short-lived
 * ephemeral consumer filtered to that subject (more), deleted afterwards. After a reconnect every channel with
 * local streams is re-read once, since live messages may have been missed while the connection was down.
 *
 * NATS need not be up when the node starts: `start()` returns at once and connects in the background (retrying
 * with backoff until it succeeds or `close()`); until then `publish` rejects (the relay keeps events in the
 * outbox and retries) and replay reads wait for the connection.
 *
 * Durability: the server acks once stored; Debian's nats-server 2.9 fsyncs its file store on a timer, so a
 * machine crash can lose acked messages. Quarry's outbox is the durable record (see the notify README).
 */
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import type { Logger, OutboxEntry } from '../../actors/runtime/types.js';
import { backoffDelayMs, pause } from './backoff.js';
import { LocalFanout, type ChannelReader } from './fanout.js';
import { replayPrevSeq } from './replay-prev-seq.js';
import {
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_REPLAY_MAX_AGE_MS,
  DEFAULT_REPLAY_RETAIN_EVENTS,
  isChannel,
  NotifyConfigError,
  NotifyPublishError,
  NotifyReadError,
  requirePositiveInt,
  type EventListener,
  type Notifier,
  type NotifyCursor,
  type NotifyEvent,
  type PlayerStream,
  type SubscribeOptions,
} from './notifier.js';

/** `live.` between the prefix and the channel in a live subject (`<prefix>live.<channel>`). */
const LIVE_INFIX_CHARS = 'live.'.length;

/** JetStream stream holding all notification channels. @default 'QUARRY_NOTIFY' */
export const DEFAULT_STREAM_NAME = 'QUARRY_NOTIFY';
/** First subject token of every channel (stream `<prefix>.>`, live copies `<prefix>live.>`). @default 'qn' */
export const DEFAULT_SUBJECT_PREFIX = 'qn';
/** How long one publish waits for its JetStream ack, in milliseconds. @default 5000 */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
/** First delay before retrying a failed replay read, in milliseconds. @default 100 */
export const DEFAULT_READ_RETRY_BASE_MS = 100;
/** Longest delay between replay read retries, in milliseconds. @default 5000 */
export const DEFAULT_READ_RETRY_MAX_MS = 5_000;
/** Replay reads (direct gets / ephemeral consumers) one node runs at once; the rest queue. @default 64 */
export const DEFAULT_MAX_CONCURRENT_READS = 64;
/** Messages asked for per fetch when replaying a gap through an ephemeral consumer. @default 256 */
export const DEFAULT_REPLAY_FETCH_MESSAGES = 256;
/** How long one dial of the first connection may take, in milliseconds. @default 2000 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
/** First delay before retrying the first connection (NATS down at start), in milliseconds. @default 250 */
export const DEFAULT_CONNECT_RETRY_BASE_MS = 250;
/** Longest delay between first-connection retries, in milliseconds. @default 5000 */
export const DEFAULT_CONNECT_RETRY_MAX_MS = 5_000;

export interface JetStreamNotifierOptions {
  /** NATS server URL(s) (setting `notify.natsUrl`). */
  servers: string | string[];
  /** See {@link DEFAULT_DEDUP_WINDOW_MS}. */
  dedupWindowMs?: number;
  /** See {@link DEFAULT_REPLAY_RETAIN_EVENTS}. */
  replayRetainEvents?: number;
  /** See {@link DEFAULT_REPLAY_MAX_AGE_MS}. */
  replayMaxAgeMs?: number;
  /** See {@link DEFAULT_STREAM_NAME}. */
  streamName?: string;
  /** See {@link DEFAULT_SUBJECT_PREFIX}. */
  subjectPrefix?: string;
  /** See {@link DEFAULT_PUBLISH_TIMEOUT_MS}. */
  publishTimeoutMs?: number;
  /** Connection name shown by the server's monitoring (e.g. the node id). */
  name?: string;
  logger?: Logger;
}

interface Payload {
  at: number;
  body: unknown;
}

interface Connection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly sub: Subscription;
}

interface Settings {
  readonly servers: string | string[];
  readonly name: string | undefined;
  readonly stream: string;
  readonly prefix: string;
  readonly publishTimeoutMs: number;
  readonly logger: Logger | undefined;
  readonly retain: number;
  readonly streamConfig: Record<string, unknown>;
}

/** The notifier was closed before it could connect. */
export class NotifierClosedError extends Error {
  override readonly name = 'NotifierClosedError';
}

export class JetStreamNotifier implements Notifier, ChannelReader {
  private readonly fanout: LocalFanout;
  private readonly stream: string;
  private readonly prefix: string;
  private readonly logger: Logger | undefined;
  private readonly stopper = new AbortController();
  private readonly connected: Promise<Connection>;
  /** Between the client's `disconnect` and `reconnect` statuses. */
  private reconnecting = false;
  private conn: Connection | undefined;
  private closed = false;
  /** Highest stream seq this node has seen (acks, live messages, stream info); a cache for `isAhead`. */
  private newestSeen = 0;

  private constructor(private readonly settings: Settings) {
    this.stream = settings.stream;
    this.prefix = settings.prefix;
    this.logger = settings.logger;
    this.fanout = new LocalFanout(this, {
      retryBaseMs: DEFAULT_READ_RETRY_BASE_MS,
      retryMaxMs: DEFAULT_READ_RETRY_MAX_MS,
      // A channel buffers at most what it could replay anyway.
      catchUpBufferEvents: settings.retain,
      maxConcurrentReads: DEFAULT_MAX_CONCURRENT_READS,
    });
    this.connected = this.establish();
    // Awaited by reads and `connect()`; rejects only when closed first, which nobody needs to hear about.
    this.connected.catch(() => {});
  }

  /**
   * Returns at once and connects in the background, retrying until NATS is reachable (a node may start before
   * its NATS server). Validates the options now (throws `NotifyConfigError`).
   */
  static start(options: JetStreamNotifierOptions): JetStreamNotifier {
    const dedupWindowMs = requirePositiveInt('notify.dedupWindowMs', options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS);
    const retain = requirePositiveInt('notify.replayRetainEvents', options.replayRetainEvents ?? DEFAULT_REPLAY_RETAIN_EVENTS);
    const maxAgeMs = requirePositiveInt('replayMaxAgeMs', options.replayMaxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS);
    const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new NotifyConfigError(`subjectPrefix must be one subject token (letters, digits, _ -), got "${prefix}"`);
    return new JetStreamNotifier({
      servers: options.servers,
      name: options.name,
      stream: options.streamName ?? DEFAULT_STREAM_NAME,
      prefix,
      publishTimeoutMs: requirePositiveInt('publishTimeoutMs', options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS),
      logger: options.logger,
      retain,
      streamConfig: {
        subjects: [`${prefix}.>`],
        duplicate_window: nanos(dedupWindowMs),
        max_msgs_per_subject: retain,
        max_age: nanos(maxAgeMs),
        allow_direct: true,
        republish: { src: `${prefix}.>`, dest: `${prefix}live.>` },
      },
    });
  }

  /** `start()`, then waits until connected with the stream ready and the live subscription in place. */
  static async connect(options: JetStreamNotifierOptions): Promise<JetStreamNotifier> {
    const notifier = JetStreamNotifier.start(options);
    await notifier.ready();
    return notifier;
  }

  /** Resolves once connected (stream created or updated, live subscription in place); rejects if closed first. */
  async ready(): Promise<void> {
    await this.connected;
  }

  /** True while connected to NATS: false before the first connection and while the client reconnects. */
  get isConnected(): boolean {
    return this.conn !== undefined && !this.reconnecting;
  }

  /**
   * Dials until NATS answers (a refused first dial makes `connect` reject at once; the client's own
   * `waitOnFirstConnect` would retry but cannot be stopped by `close()` in @nats-io 3.4), then sets up the
   * stream and the node's one live subscription. Later outages are handled by the client's reconnects.
   */
  private async establish(): Promise<Connection> {
    const { settings } = this;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new NotifierClosedError('notifier closed before connecting to NATS');
      let nc: NatsConnection | undefined;
      try {
        nc = await connect({
          servers: settings.servers,
          name: settings.name,
          timeout: DEFAULT_CONNECT_TIMEOUT_MS,
          reconnect: true,
          // A NATS outage delays notifications; the connection keeps trying for as long as it lasts.
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          // Without it every request (each outbox entry's publish, each replay read) builds two Errors with stack
          // traces up front, for context should it fail: ~3 % of a node's busy time under the headline load.
          noAsyncTraces: true,
        });
        if (this.closed) throw new NotifierClosedError('notifier closed while connecting to NATS');
        const jsm = await jetstreamManager(nc);
        const exists = await jsm.streams.info(settings.stream).then(() => true, () => false);
        if (exists) await jsm.streams.update(settings.stream, settings.streamConfig);
        else await jsm.streams.add({ name: settings.stream, ...settings.streamConfig });
        const sub = nc.subscribe(`${settings.prefix}live.>`, {
          callback: (err, msg) => (err ? this.logger?.warn({ err }, 'notify: live subscription error') : this.onLive(msg)),
        });
        // The server has the live subscription once the flush returns: nothing published after this is missed.
        await nc.flush();
        if (this.closed) throw new NotifierClosedError('notifier closed while connecting to NATS');
        const conn: Connection = { nc, js: jetstream(nc), jsm, sub };
        this.conn = conn;
        void this.watchStatus(nc);
        if (attempt > 0) this.logger?.info({ attempts: attempt + 1 }, 'notify: connected to NATS');
        return conn;
      } catch (err) {
        await nc?.close().catch(() => {});
        if (this.closed) throw err instanceof NotifierClosedError ? err : new NotifierClosedError('notifier closed', { cause: err });
        const delayMs = backoffDelayMs(attempt, DEFAULT_CONNECT_RETRY_BASE_MS, DEFAULT_CONNECT_RETRY_MAX_MS);
        // Once, then sparsely: a node started long before its NATS would otherwise fill its log.
        if (attempt === 0 || delayMs === DEFAULT_CONNECT_RETRY_MAX_MS) this.logger?.warn({ err, retryInMs: delayMs }, 'notify: NATS not reachable yet, retrying');
        await pause(delayMs, this.stopper.signal);
      }
    }
  }

  async publish(entries: readonly OutboxEntry[]): Promise<void> {
    const conn = this.conn;
    if (!conn) throw new NotifyPublishError(`not connected to NATS yet (stream ${this.stream}); entries stay in the outbox`);
    const valid = entries.filter((entry) => {
      if (isChannel(entry.channel)) return true;
      this.logger?.error({ channel: entry.channel, dedupId: entry.dedupId }, 'notify: dropping entry with an invalid channel');
      return false;
    });
    // Pipelined on one connection, so the stream stores them in this (commit) order.
    const acks = valid.map((entry) =>
      conn.js.publish(`${this.prefix}.${entry.channel}`, JSON.stringify({ at: entry.committedAtMs, body: entry.body } satisfies Payload), {
        msgID: entry.dedupId,
        timeout: this.settings.publishTimeoutMs,
      }),
    );
    const results = await Promise.allSettled(acks);
    for (const r of results) if (r.status === 'fulfilled') this.newestSeen = Math.max(this.newestSeen, r.value.seq);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new NotifyPublishError(`publish to stream ${this.stream} failed for ${results.filter((r) => r.status === 'rejected').length} of ${valid.length} entries`, { cause: failed.reason });
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
    const { jsm } = await this.connected;
    const subject = `${this.prefix}.${channel}`;
    // One request when there is nothing to replay (a new player, a resume already up to date): 20k streams opening
    // together are 20k reads, not 40k.
    const first = await jsm.direct.getMessage(this.stream, { seq: afterSeq + 1, next_by_subj: subject });
    if (!first) return [];
    const last = await jsm.direct.getMessage(this.stream, { last_by_subj: subject });
    if (!last || last.seq <= afterSeq) return [];
    // Read AFTER `first`: a cursor message still stored now was stored when `first` was read, and retention
    // drops a subject's oldest messages first, so nothing between them can have been dropped.
    const cursorStored = afterSeq > 0 && first.seq > afterSeq + 1 && (await jsm.direct.getMessage(this.stream, { seq: afterSeq }))?.subject === subject;
    const out = [this.event(channel, first.seq, replayPrevSeq(afterSeq, first.seq, cursorStored), first.data)];
    if (first.seq < last.seq) {
      await this.readRange(subject, channel, first.seq, last.seq, out);
      // Retention running during the read could have dropped events the consumer then skipped, unseen. If
      // `first` is still stored, nothing after it was dropped (oldest first), so the chain read is complete.
      if (!(await jsm.direct.getMessage(this.stream, { seq: first.seq }))) {
        throw new NotifyReadError(`replay of ${channel} after seq ${afterSeq}: retention dropped events during the read; reading again`);
      }
    }
    return out;
  }

  async isAhead(seq: number): Promise<boolean> {
    if (seq <= this.newestSeen) return false;
    const { jsm } = await this.connected;
    const info = await jsm.streams.info(this.stream);
    this.newestSeen = Math.max(this.newestSeen, info.state.last_seq);
    return seq > this.newestSeen;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopper.abort();
    this.fanout.close();
    // A dial in progress finishes (bounded by its timeout) and closes its own connection.
    await this.connected.catch(() => {});
    this.conn?.sub.unsubscribe();
    // close, not drain: every publish is awaited by its caller, and drain can wait on a server that is down.
    await this.conn?.nc.close();
  }

  /** Appends events on `subject` with afterSeq < seq <= lastSeq through an ephemeral consumer. */
  private async readRange(subject: string, channel: string, afterSeq: number, lastSeq: number, out: NotifyEvent[]): Promise<void> {
    const { js, jsm } = await this.connected;
    const info = await jsm.consumers.add(this.stream, {
      filter_subject: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      // Removed by the server if this process dies before deleting it.
      inactive_threshold: nanos(30_000),
    });
    try {
      const consumer = js.consumers.getConsumerFromInfo(info);
      let prev = out.at(-1)!.seq;
      while (prev < lastSeq) {
        const batch = await consumer.fetch({ max_messages: DEFAULT_REPLAY_FETCH_MESSAGES, expires: this.settings.publishTimeoutMs });
        let got = 0;
        for await (const msg of batch) {
          got++;
          if (msg.seq <= prev) continue;
          out.push(this.event(channel, msg.seq, prev, msg.data));
          prev = msg.seq;
          if (prev >= lastSeq) break;
        }
        if (got === 0) {
          // An empty fetch is either retention having dropped the rest (done) or a slow server (retry the read:
          // returning short would leave the gap open until some later event on this channel reveals it).
          const next = await jsm.direct.getMessage(this.stream, { seq: prev + 1, next_by_subj: subject });
          if (next && next.seq <= lastSeq) throw new NotifyReadError(`replay of ${channel}: consumer fetch returned nothing while seq ${next.seq} is stored`);
          break;
        }
      }
    } finally {
      await jsm.consumers.delete(this.stream, info.name).catch(() => {});
    }
  }

  private onLive(msg: Msg): void {
    // Every node receives every event; most are for players connected elsewhere. The live subject names the
    // channel, so those are dropped before their headers are parsed.
    const channel = msg.subject.slice(this.prefix.length + LIVE_INFIX_CHARS);
    if (!this.fanout.listens(channel)) return;
    const h = msg.headers;
    const seq = Number(h?.get('Nats-Sequence'));
    const prevSeq = Number(h?.get('Nats-Last-Sequence') || '0');
    if (!Number.isFinite(seq)) return;
    if (seq > this.newestSeen) this.newestSeen = seq;
    try {
      this.fanout.dispatch(this.event(channel, seq, prevSeq, msg.data));
    } catch (err) {
      this.logger?.warn({ err, subject: msg.subject, seq }, 'notify: undecodable live message dropped');
    }
  }

  private event(channel: string, seq: number, prevSeq: number, data: Uint8Array): NotifyEvent {
    const payload = JSON.parse(new TextDecoder().decode(data)) as Payload;
    return { channel, seq, prevSeq, atMs: payload.at, body: payload.body };
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.reconnecting = true;
      if (status.type === 'reconnect') this.reconnecting = false;
      if (status.type === 'reconnect' && !this.closed) {
        this.fanout.resyncAll().catch((err) => this.logger?.warn({ err }, 'notify: resync after reconnect failed'));
      }
    }
  }
}
