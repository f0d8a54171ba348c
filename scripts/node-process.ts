/**
 * One Quarry node process, assembled: LMDB store → actor host with the hunt's kinds → notifier and outbox
 * relay → player edge (gRPC + gRPC-web + page). Membership and routing join through `cluster/node.ts`.
 * This lives in scripts/ because it is the one place allowed to import every layer (ARCHITECTURE.md's table:
 * cluster may not import gateway, so the whole process cannot be assembled inside cluster/).
 */
import { trace } from '@opentelemetry/api';
import { ActorHost, systemClock, type Clock, type Logger } from '../actors/runtime/index.js';
import { openLmdbStore } from '../actors/store/index.js';
import { HuntGame, huntKinds, loadHuntFile } from '../actors/hunt/index.js';
import type { NodeConfig } from '../ops/config/index.js';
import { TokenVerifier } from '../gateway/auth/index.js';
import { huntService } from '../gateway/hunt-service.js';
import { InProcessNotifier } from '../gateway/notify/in-process.js';
import { JetStreamNotifier } from '../gateway/notify/jetstream.js';
import type { Notifier } from '../gateway/notify/notifier.js';
import { OutboxRelay } from '../gateway/notify/relay.js';
import { startGatewayServer, type GatewayServer } from '../gateway/server.js';
import { createWebHandler } from '../gateway/web/serve.js';
import { ProcessSampler } from '../ops/process-metrics.js';
import { isOperator } from '../ops/operator-auth.js';

export interface QuarryNode {
  readonly config: NodeConfig;
  readonly host: ActorHost;
  readonly game: HuntGame;
  readonly edge: GatewayServer;
  /** Stops taking calls, publishes what is committed, snapshots every active actor, closes LMDB. */
  stop(): Promise<void>;
}

export async function startQuarryNode(config: NodeConfig, logger: Logger, clock: Clock = systemClock()): Promise<QuarryNode> {
  const hunt = loadHuntFile(config.hunt.file);
  const kinds = huntKinds(hunt, { sessionTtlMinutes: config.hunt.sessionTtlMinutes, leaderboardStalenessMs: config.hunt.leaderboardStalenessMs });

  const store = openLmdbStore({ path: config.node.dataDir, mapSizeMb: config.store.mapSizeMb, auditRetentionDays: config.store.auditRetentionDays });
  const tracer = config.ops.tracingEnabled ? trace.getTracer('quarry.runtime') : undefined;
  const host = new ActorHost({ store, clock, logger, tracer, kinds: kinds.all, ...config.runtime, ttlSweepIntervalMs: config.store.ttlSweepIntervalMs });
  const game = new HuntGame(kinds, { system: host, clock, audit: store });

  const notifier: Notifier =
    config.notify.backend === 'nats'
      ? await JetStreamNotifier.connect({ servers: config.notify.natsUrl, dedupWindowMs: config.notify.dedupWindowMs, replayRetainEvents: config.notify.replayRetainEvents, name: config.node.id, logger })
      : new InProcessNotifier({ dedupWindowMs: config.notify.dedupWindowMs, replayRetainEvents: config.notify.replayRetainEvents, logger });
  const relay = new OutboxRelay({ source: store.outbox, notifier, flushIntervalMs: config.notify.outboxFlushIntervalMs, logger });
  relay.start();

  const web = createWebHandler({ hunt });
  const sampler = new ProcessSampler();
  const metrics = () => ({ nodeId: config.node.id, ...sampler.sample(), activeActors: host.activeActors().length });
  const edge = await startGatewayServer({
    host: config.node.host,
    grpcPort: config.node.grpcPort,
    httpPort: config.node.httpPort,
    services: [huntService({ game, notifier, verifier: new TokenVerifier({ hs256Secret: config.gateway.tokenSecret }), logger })],
    maxMessageBytes: config.gateway.maxMessageBytes,
    corsOrigins: config.gateway.corsOrigins,
    httpFallback: (req, res) => {
      if (web(req, res)) return;
      if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      if (req.url === '/metrics') {
        if (!isOperator(req.headers.authorization, config.ops.operatorToken)) {
          return void res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('operator credential required');
        }
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metrics()));
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  });

  return {
    config,
    host,
    game,
    edge,
    async stop() {
      sampler.stop();
      await edge.close();
      game.close();
      await host.close();
      await relay.stop();
      await notifier.close();
      await store.close();
    },
  };
}
