/** Where a node's committed events go: the notifier chosen by `notify.backend`, fed by the outbox relay. */
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from '../actors/runtime/types.js';
import { InProcessNotifier } from '../gateway/notify/in-process.js';
import { JetStreamNotifier } from '../gateway/notify/jetstream.js';
import type { Notifier } from '../gateway/notify/notifier.js';
import { OutboxRelay, type OutboxRelayOptions } from '../gateway/notify/relay.js';
import type { ReadinessCheck } from '../ops/health.js';
import type { NodeConfig } from '../ops/config/index.js';

export interface NotifyPart {
  readonly notifier: Notifier;
  readonly relay: OutboxRelay;
  /** `notifier connected` for NATS; none in process. */
  readonly readiness: ReadinessCheck[];
  /** Publishes what is committed, then closes the notifier. */
  stop(): Promise<void>;
}

/**
 * Starts the relay at once: events committed before the edge opens (a restart's backlog) are published too. `tracer`
 * (tracing on) makes a `notify publish` span for `ops.tracingSampleRatio` of the batches.
 */
export function startNotify(config: NodeConfig, outbox: OutboxRelayOptions['source'], logger: Logger, tracer?: Tracer): NotifyPart {
  const kept = { dedupWindowMs: config.notify.dedupWindowMs, replayRetainEvents: config.notify.replayRetainEvents };
  const notifier: Notifier =
    config.notify.backend === 'nats'
      ? JetStreamNotifier.start({ servers: config.notify.natsUrl, ...kept, name: config.node.id, logger })
      : new InProcessNotifier({ ...kept, logger });
  const relay = new OutboxRelay({
    source: outbox,
    notifier,
    flushIntervalMs: config.notify.outboxFlushIntervalMs,
    logger,
    ...(tracer ? { tracing: { tracer, sampleRatio: config.ops.tracingSampleRatio } } : {}),
  });
  relay.start();
  return {
    notifier,
    relay,
    readiness: notifier instanceof JetStreamNotifier ? [{ name: 'notifier connected', ok: () => notifier.isConnected }] : [],
    async stop() {
      await relay.stop();
      await notifier.close();
    },
  };
}
