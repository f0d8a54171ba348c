/**
 * Outbox relay: moves committed outbox entries to the notifier. Reads a batch (`readPending`), publishes it,
 * and only then acks it (`ack` deletes it from LMDB), so a notifier outage or a crash between publish and ack
 * re-publishes; the notifier drops those by `dedupId`. While publishing fails it retries the same batch with
 * exponential backoff; it sleeps until `onCommit` (or `flushIntervalMs`) when the outbox is empty.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger, OutboxEntry, OutboxSource } from '../../actors/runtime/types.js';
import { backoffDelayMs, pause } from './backoff.js';
import { requirePositiveInt, type Notifier } from './notifier.js';

const tracer = trace.getTracer('quarry.notify');

/** Fallback poll of the outbox when no commit wakes the relay, in milliseconds (setting `notify.outboxFlushIntervalMs`). @default 50 */
export const DEFAULT_OUTBOX_FLUSH_INTERVAL_MS = 50;
/** Entries published per batch. @default 256 */
export const DEFAULT_RELAY_BATCH_ENTRIES = 256;
/** Longest delay between publish retries while the notifier is down, in milliseconds. @default 2000 */
export const DEFAULT_RELAY_MAX_BACKOFF_MS = 2_000;

export interface OutboxRelayOptions {
  source: OutboxSource;
  notifier: Notifier;
  /** See {@link DEFAULT_OUTBOX_FLUSH_INTERVAL_MS}; also the first retry delay. */
  flushIntervalMs?: number;
  /** See {@link DEFAULT_RELAY_BATCH_ENTRIES}. */
  batchEntries?: number;
  /** See {@link DEFAULT_RELAY_MAX_BACKOFF_MS}. */
  maxBackoffMs?: number;
  logger?: Logger;
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
  private readonly logger: Logger | undefined;
  private readonly stopper = new AbortController();
  private wake: AbortController = new AbortController();
  private loop: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  readonly stats: RelayStats = { published: 0, failedAttempts: 0, ackedId: 0 };

  constructor(options: OutboxRelayOptions) {
    this.source = options.source;
    this.notifier = options.notifier;
    this.flushIntervalMs = requirePositiveInt('notify.outboxFlushIntervalMs', options.flushIntervalMs ?? DEFAULT_OUTBOX_FLUSH_INTERVAL_MS);
    this.batchEntries = requirePositiveInt('batchEntries', options.batchEntries ?? DEFAULT_RELAY_BATCH_ENTRIES);
    this.maxBackoffMs = requirePositiveInt('maxBackoffMs', options.maxBackoffMs ?? DEFAULT_RELAY_MAX_BACKOFF_MS);
    this.logger = options.logger;
  }

  start(): void {
    if (this.loop) return;
    this.unlisten = this.source.onCommit(() => this.wake.abort());
    this.loop = this.run();
  }

  /** Stops after the batch in flight (published entries not yet acked are re-published on the next start). */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake.abort();
    this.unlisten?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let afterId = 0;
    let attempt = 0;
    while (!this.stopper.signal.aborted) {
      // A fresh wake signal before reading, so a commit during the read is not missed.
      this.wake = new AbortController();
      let batch: OutboxEntry[] | undefined;
      try {
        batch = this.source.readPending(afterId, this.batchEntries);
        if (batch.length === 0) {
          // stop() aborts `wake` too, so this returns promptly on stop.
          await pause(this.flushIntervalMs, this.wake.signal);
          continue;
        }
        // A root span per published batch (events are published after their trace's fix was answered).
        const current = batch;
        await tracer.startActiveSpan('notify publish', { attributes: { 'quarry.notify.events': batch.length } }, async (span) => {
          try {
            await this.notifier.publish(current);
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
            throw err;
          } finally {
            span.end();
          }
        });
        const lastId = batch.at(-1)!.id;
        await this.source.ack(lastId);
        afterId = lastId;
        attempt = 0;
        this.stats.published += batch.length;
        this.stats.ackedId = lastId;
      } catch (err) {
        this.stats.failedAttempts++;
        const delayMs = backoffDelayMs(attempt++, this.flushIntervalMs, this.maxBackoffMs);
        this.logger?.warn({ err, entries: batch?.length, firstId: batch?.[0]?.id, retryInMs: delayMs }, 'notify: relaying the outbox failed, retrying');
        // Not woken by commits: during an outage they keep coming and would defeat the backoff.
        await pause(delayMs, this.stopper.signal);
      }
    }
  }
}
