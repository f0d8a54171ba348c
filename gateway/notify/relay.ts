/**
 * Outbox relay: moves committed outbox entries to the notifier. Reads a batch (`readPending`), publishes it,
 * and only then acks it (`ack` deletes it from LMDB), so a notifier outage or a crash between publish and ack
 * re-publishes; the notifier drops those by `dedupId`. While publishing fails it retries from the first
 * unacked entry with exponential backoff; it sleeps until `onCommit` (or `flushIntervalMs`) when the outbox is
 * empty.
 *
 * Pipelined: up to `maxInFlightBatches` batches are published before the oldest is acked, so commit-to-stream
 * latency under load is not one publish round trip plus one LMDB ack per batch. Acks trail the publishes and are
 * coalesced: one ack transaction at a time, covering everything published in order so far, at most one per
 * `ackIntervalMs` while events keep coming, so the next read never waits for an ack's disk flush and the acks add
 * ~10 LMDB write transactions a second, not one per batch (bench gateway: ~90 a second beside ~110 of the actors'
 * own, each with its flush, before). A backlog past `maxInFlightBatches` full batches published and unacked is
 * acked at once and waited for, so the outbox stays bounded when acks are slow. Order on the stream is unchanged: every batch is
 * handed to the same connection in outbox order and NATS stores one connection's messages in the order sent.
 * When a batch fails, no later batch is acked; the relay waits for the in-flight ones to settle and retries
 * from the first unacked entry, and the later batches that did get stored are dropped as duplicates by
 * `dedupId`. (A failure of a single message while the ones sent after it are stored can reorder that channel;
 * this was already possible within one batch of `batchEntries`, and pipelining widens it to the window.)
 */
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { drawRoot } from '../../actors/runtime/tracing.js';
import type { Logger, OutboxEntry, OutboxSource } from '../../actors/runtime/types.js';
import { backoffDelayMs, pause } from './backoff.js';
import { requirePositiveInt, type Notifier } from './notifier.js';

/** The reason every wake-up aborts with: without one, each abort builds a DOMException (seen in bench gateway's profile). */
const WOKEN = 'woken';

/** Fallback poll of the outbox when no commit wakes the relay, in milliseconds (setting `notify.outboxFlushIntervalMs`). @default 50 */
export const DEFAULT_OUTBOX_FLUSH_INTERVAL_MS = 50;
/** Entries published per batch. @default 256 */
export const DEFAULT_RELAY_BATCH_ENTRIES = 256;
/** Longest delay between publish retries while the notifier is down, in milliseconds. @default 2000 */
export const DEFAULT_RELAY_MAX_BACKOFF_MS = 2_000;
/** Batches published and not yet acked at once (a backlog only; see `pump`). 4 drained a backlog 30% slower than 1 or 2 on the 2-core bench machine. @default 2 */
export const DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES = 2;
/**
 * Least time between two ack transactions while events keep coming, in milliseconds: one ack then covers everything
 * published meanwhile. A crash re-publishes at most this much (the notifier drops the repeats by dedupId). Back to
 * back, acks were ~40 % of the node's LMDB write transactions in bench gateway, each with its own disk flush in the
 * actors' commit queue. A backlog of more than `maxInFlightBatches` full batches is acked at once. @default 100
 */
export const DEFAULT_RELAY_ACK_INTERVAL_MS = 100;

export interface OutboxRelayOptions {
  source: OutboxSource;
  notifier: Notifier;
  /** See {@link DEFAULT_OUTBOX_FLUSH_INTERVAL_MS}; also the first retry delay. */
  flushIntervalMs?: number;
  /** See {@link DEFAULT_RELAY_BATCH_ENTRIES}. */
  batchEntries?: number;
  /** See {@link DEFAULT_RELAY_MAX_BACKOFF_MS}. */
  maxBackoffMs?: number;
  /** See {@link DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES}; 1 publishes one batch at a time. */
  maxInFlightBatches?: number;
  /** See {@link DEFAULT_RELAY_ACK_INTERVAL_MS}. */
  ackIntervalMs?: number;
  logger?: Logger;
  /**
   * A root span per published batch (`notify publish`) for `sampleRatio` of the batches, drawn before any span exists;
   * none when absent (the node passes it only with `ops.tracingEnabled`).
   */
  tracing?: { tracer: Tracer; sampleRatio: number };
}

export interface RelayStats {
  published: number;
  failedAttempts: number;
  /** Highest outbox id acked. */
  ackedId: number;
}

export class OutboxRelay {
  private readonly source: OutboxSource;
  private readonly notifier: Notifier;
  private readonly flushIntervalMs: number;
  private readonly batchEntries: number;
  private readonly maxBackoffMs: number;
  private readonly maxInFlight: number;
  private readonly ackIntervalMs: number;
  /** Cuts the ack loop's pause short: on stop, and when a backlog's unacked entries exceed the bound. */
  private ackHurry = new AbortController();
  private readonly logger: Logger | undefined;
  private readonly tracing: OutboxRelayOptions['tracing'];
  private readonly stopper = new AbortController();
  private wake: AbortController = new AbortController();
  private loop: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  readonly stats: RelayStats = { published: 0, failedAttempts: 0, ackedId: 0 };
  /** Last id published in order; reads go on after it while the acks trail behind. */
  private publishedId = 0;
  /**
   * Highest id published in order and not yet acked, and how many entries up to it. Acks trail the publishes instead
   * of holding up the next read: an ack is an LMDB write whose disk flush would otherwise sit in the next events'
   * latency.
   */
  private ackWantedId = 0;
  private ackWantedEntries = 0;
  /** The ack loop while one runs (one ack transaction at a time, each covering all that was published before it). */
  private acking: Promise<void> | undefined;
  /** Waiting for the end of the loop's next (or current) ack transaction. */
  private ackWaiters: Array<() => void> = [];
  private ackFailure: { err: unknown } | undefined;

  constructor(options: OutboxRelayOptions) {
    this.source = options.source;
    this.notifier = options.notifier;
    this.flushIntervalMs = requirePositiveInt('notify.outboxFlushIntervalMs', options.flushIntervalMs ?? DEFAULT_OUTBOX_FLUSH_INTERVAL_MS);
    this.batchEntries = requirePositiveInt('batchEntries', options.batchEntries ?? DEFAULT_RELAY_BATCH_ENTRIES);
    this.maxBackoffMs = requirePositiveInt('maxBackoffMs', options.maxBackoffMs ?? DEFAULT_RELAY_MAX_BACKOFF_MS);
    this.maxInFlight = requirePositiveInt('maxInFlightBatches', options.maxInFlightBatches ?? DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES);
    this.ackIntervalMs = requirePositiveInt('ackIntervalMs', options.ackIntervalMs ?? DEFAULT_RELAY_ACK_INTERVAL_MS);
    this.logger = options.logger;
    this.tracing = options.tracing;
  }

  start(): void {
    if (this.loop) return;
    this.unlisten = this.source.onCommit(() => this.wake.abort(WOKEN));
    this.loop = this.run();
  }

  /** Stops after the batches in flight (published entries not yet acked are re-published on the next start). */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.ackHurry.abort();
    this.wake.abort(WOKEN);
    this.unlisten?.();
    await this.loop;
    while (this.acking) await this.acking;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopper.signal.aborted) {
      // A fresh wake signal before reading, so a commit during the read is not missed.
      this.wake = new AbortController();
      try {
        if (await this.pump()) attempt = 0;
        // stop() aborts `wake` too, so this returns promptly on stop.
        else await pause(this.flushIntervalMs, this.wake.signal);
      } catch (err) {
        this.stats.failedAttempts++;
        const delayMs = backoffDelayMs(attempt++, this.flushIntervalMs, this.maxBackoffMs);
        this.logger?.warn({ err, firstId: this.stats.ackedId + 1, retryInMs: delayMs }, 'notify: relaying the outbox failed, retrying');
        // Not woken by commits: during an outage they keep coming and would defeat the backoff.
        await pause(delayMs, this.stopper.signal);
      }
    }
  }

  /**
   * Publishes what is pending until the outbox is empty; false if nothing was pending. Another batch is read
   * while earlier ones are in flight only when the last read filled a whole batch (a backlog): under a light
   * load, commits made during a publish gather into the next batch instead of going out as many small ones.
   * Acks run behind the publishes, coalesced (see `ack`). On a failure, acks nothing after it, lets the rest settle,
   * and throws the first error.
   */
  private async pump(): Promise<boolean> {
    if (this.ackFailure) {
      const { err } = this.ackFailure;
      await this.acking;
      this.ackFailure = undefined;
      this.ackWantedId = this.stats.ackedId;
      this.ackWantedEntries = 0;
      // What was published but not acked goes out again; the notifier drops the copies by dedupId.
      this.publishedId = this.stats.ackedId;
      throw err;
    }
    const window: Array<{ lastId: number; entries: number; published: Promise<void> }> = [];
    let readAfter = this.publishedId;
    let failure: { err: unknown } | undefined;
    let any = false;
    let backlog = false;
    for (;;) {
      while (!failure && window.length < this.maxInFlight && (window.length === 0 || backlog) && !this.stopper.signal.aborted) {
        const batch = this.source.readPending(readAfter, this.batchEntries);
        if (batch.length === 0) break;
        any = true;
        backlog = batch.length === this.batchEntries;
        readAfter = batch.at(-1)!.id;
        const published = this.publish(batch);
        // Observed below, in order; an earlier failure must not leave this one's rejection unhandled.
        published.catch(() => {});
        window.push({ lastId: readAfter, entries: batch.length, published });
      }
      const head = window.shift();
      if (!head) break;
      try {
        await head.published;
      } catch (err) {
        failure ??= { err };
      }
      if (failure) continue;
      this.publishedId = head.lastId;
      this.ack(head.lastId, head.entries);
      // A backlog acks at once and waits for it now and then, so the outbox does not grow while acks are slow.
      if (this.ackBacklog) {
        this.ackHurry.abort();
        await this.nextAck();
      }
    }
    if (failure) {
      await this.acking;
      throw failure.err;
    }
    return any;
  }

  /**
   * Marks a batch published in order for acking; starts the ack loop unless one runs (it picks this up after its
   * pause). After a failed ack nothing more is acked and the next pump throws.
   */
  private ack(lastId: number, entries: number): void {
    this.ackWantedId = lastId;
    this.ackWantedEntries += entries;
    this.startAckLoop();
  }

  private startAckLoop(): void {
    if (this.acking !== undefined || this.ackFailure || this.ackWantedId <= this.stats.ackedId) return;
    this.acking = this.ackLoop().finally(() => {
      this.acking = undefined;
      for (const settled of this.ackWaiters.splice(0)) settled();
      // An ack() that came between the loop's last check and here found the loop still running.
      this.startAckLoop();
    });
  }

  /** More published-and-unacked entries than `maxInFlightBatches` full batches: ack at once, not after the pause. */
  private get ackBacklog(): boolean {
    return this.ackWantedEntries > this.maxInFlight * this.batchEntries;
  }

  /** Resolves when the ack loop's next (or current) transaction has settled; at once when no loop runs. */
  private nextAck(): Promise<void> {
    if (this.acking === undefined) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }

  private async ackLoop(): Promise<void> {
    while (this.ackWantedId > this.stats.ackedId && !this.ackFailure) {
      const uptoId = this.ackWantedId;
      const entries = this.ackWantedEntries;
      this.ackWantedEntries = 0;
      try {
        await this.source.ack(uptoId);
        this.stats.published += entries;
        this.stats.ackedId = uptoId;
      } catch (err) {
        this.ackFailure = { err };
        // Wakes the loop, which throws it and retries with backoff.
        this.wake.abort(WOKEN);
        return;
      } finally {
        for (const settled of this.ackWaiters.splice(0)) settled();
      }
      // What is published during the pause goes into the next ack; a backlog past the bound (or a stop) does not wait.
      if (this.stopper.signal.aborted || this.ackBacklog) continue;
      if (this.ackHurry.signal.aborted) this.ackHurry = new AbortController();
      await pause(this.ackIntervalMs, this.ackHurry.signal);
    }
  }

  /** One batch, under a root span when sampled (events are published after their trace's fix was answered). */
  private publish(batch: OutboxEntry[]): Promise<void> {
    const root = this.tracing === undefined ? undefined : drawRoot(this.tracing.sampleRatio);
    if (root === undefined) return this.notifier.publish(batch);
    return this.tracing!.tracer.startActiveSpan('notify publish', { attributes: { 'quarry.notify.events': batch.length } }, root, async (span) => {
      try {
        await this.notifier.publish(batch);
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  }
}
