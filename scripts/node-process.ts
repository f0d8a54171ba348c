/**
 * One Quarry node process, assembled: the cluster node (LMDB, actor host, links, router, membership) hosting the
 * hunt's kinds → notifier and outbox relay → player edge (gRPC + gRPC-web + page) on one grpc-js Server that also
 * carries the node links. This lives in scripts/ because it is the one place allowed to import every layer
 * (ARCHITECTURE.md: cluster may not import gateway, so the whole process cannot be assembled inside cluster/).
 */
import { trace } from '@opentelemetry/api';
import { deferred, systemClock, type Clock, type Logger } from '../actors/runtime/index.js';
import { HuntGame, huntKinds, loadHuntFile } from '../actors/hunt/index.js';
import { HuntDefinitionError } from '../actors/hunt/definition.js';
import { createClusterNode, type ClusterNode } from '../cluster/node.js';
import { ConfigError, nodeTls, type NodeConfig } from '../ops/config/index.js';
import { TokenVerifier } from '../gateway/auth/index.js';
import { huntService } from '../gateway/hunt-service.js';
import { AdmissionGate } from '../gateway/admission.js';
import { InProcessNotifier } from '../gateway/notify/in-process.js';
import { JetStreamNotifier } from '../gateway/notify/jetstream.js';
import type { Notifier } from '../gateway/notify/notifier.js';
import { OutboxRelay } from '../gateway/notify/relay.js';
import { startGatewayServer, type GatewayServer } from '../gateway/server.js';
import { createWebHandler } from '../gateway/web/serve.js';
import { ProcessSampler, storeCommitMetrics } from '../ops/process-metrics.js';
import { isOperator } from '../ops/operator-auth.js';
import { operatorTools } from '../ops/admin/operator-tools.js';
import { clusterPart } from '../ops/admin/cluster-part.js';
import { prometheusRegistry } from '../ops/metrics/prometheus.js';
import { CallOutcomes } from '../gateway/call-outcomes.js';
import { failingChecks, serveHealth, type ReadinessCheck } from '../ops/health.js';

export interface QuarryNode {
  readonly config: NodeConfig;
  readonly cluster: ClusterNode;
  readonly game: HuntGame;
  readonly edge: GatewayServer;
  readonly gossipAddress: string;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** Resolves once the node is in its cluster and routing; rejects with JoinTimeoutError (see ClusterNode.joined). */
  readonly joined: Promise<void>;
  /**
   * Settles when an operator's `quarry node leave` has handed everything off and left: then the process should
   * `stop()` and exit. Rejects (LeaveIncompleteError) when some actor could not be handed over. Pending otherwise.
   */
  readonly left: Promise<void>;
  /** Readiness checks that fail now (`/readyz`); empty when the node serves players. */
  notReady(): string[];
  /**
   * Graceful stop: stop taking player calls, hand every actor to the remaining members and leave the cluster,
   * publish what is committed, close LMDB. Rejects, after all of that, when some actor could not be handed over.
   */
  stop(): Promise<void>;
}

/**
 * How long a stopping node lets calls in flight finish before it cuts its connections, in ms: enough for the answer
 * to the `quarry node leave` that stopped it to reach the operator. @default 2000
 */
export const EDGE_CLOSE_GRACE_MS = 2_000;

export interface StartOptions {
  clock?: Clock;
  /** Gossip addresses to join besides `node.seeds`. */
  extraSeeds?: string[];
}

/** The hunt file, or a ConfigError naming `hunt.file` (the node exits 2 with it, like any bad setting). */
function huntOrConfigError(file: string): ReturnType<typeof loadHuntFile> {
  try {
    return loadHuntFile(file);
  } catch (err) {
    if (err instanceof HuntDefinitionError) throw new ConfigError('hunt.file', err.message, { cause: err });
    if ((err as { code?: unknown }).code === 'ENOENT' || (err as { code?: unknown }).code === 'EACCES') throw new ConfigError('hunt.file', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

export async function startQuarryNode(config: NodeConfig, logger: Logger, options: StartOptions = {}): Promise<QuarryNode> {
  const clock = options.clock ?? systemClock();
  const hunt = huntOrConfigError(config.hunt.file);
  const kinds = huntKinds(hunt, {
    sessionTtlMinutes: config.hunt.sessionTtlMinutes,
    leaderboardStalenessMs: config.hunt.leaderboardStalenessMs,
    fixLimits: { maxClockAheadMs: config.hunt.maxClockAheadMs },
  });
  const tracer = config.ops.tracingEnabled ? trace.getTracer('quarry.runtime') : undefined;

  // Throws a ConfigError naming the setting for an unreadable or expired certificate: before anything opens.
  const tls = nodeTls(config);
  if (!tls.edge && !tls.links && !config.ops.allowDevSecrets) {
    logger.warn({ event: 'no-tls' }, 'no TLS: player tokens and fixes (gRPC and gRPC-web) and node links travel in clear; set gateway.tlsCertFile/tlsKeyFile and cluster.tlsCaFile/tlsCertFile/tlsKeyFile, or terminate TLS in front of every port');
  }
  const cluster = createClusterNode({ config, logger, kinds: kinds.all, clock, tracer, ...(tls.links ? { linkTls: tls.links } : {}) });
  const game = new HuntGame(kinds, { system: cluster.router, clock, audit: cluster.store });

  const notifier: Notifier =
    config.notify.backend === 'nats'
      ? JetStreamNotifier.start({ servers: config.notify.natsUrl, dedupWindowMs: config.notify.dedupWindowMs, replayRetainEvents: config.notify.replayRetainEvents, name: config.node.id, logger })
      : new InProcessNotifier({ dedupWindowMs: config.notify.dedupWindowMs, replayRetainEvents: config.notify.replayRetainEvents, logger });
  const relay = new OutboxRelay({
    source: cluster.store.outbox,
    notifier,
    flushIntervalMs: config.notify.outboxFlushIntervalMs,
    logger,
    ...(config.ops.tracingEnabled ? { tracing: { tracer: trace.getTracer('quarry.notify'), sampleRatio: config.ops.tracingSampleRatio } } : {}),
  });
  relay.start();

  const web = createWebHandler({ hunt });
  const left = deferred<void>();
  const operatorLeave = (): Promise<void> => {
    const leaving = cluster.leave();
    leaving.then(left.resolve, left.reject);
    return leaving;
  };
  const readiness: ReadinessCheck[] = [
    { name: 'joined', ok: () => cluster.router.isStarted },
    { name: 'serving with quorum', ok: () => cluster.router.serving },
    { name: 'in the ring', ok: () => cluster.router.ring.members.includes(config.node.id) },
    ...(notifier instanceof JetStreamNotifier ? [{ name: 'notifier connected', ok: () => notifier.isConnected }] : []),
  ];
  const sampler = new ProcessSampler();
  // Admin service (CLI) and inspector (page + HTTP API), both behind the operator credential.
  const ops = operatorTools({
    nodeId: config.node.id,
    host: cluster.host,
    store: cluster.store,
    sampler,
    operatorToken: config.ops.operatorToken,
    cluster: clusterPart({
      nodeId: config.node.id,
      host: cluster.host,
      membership: { members: () => cluster.members(), join: (seeds) => cluster.membership!.join(seeds) },
      router: { leave: operatorLeave, leaveRefusal: () => cluster.router.leaveRefusal(), dryRun: (change, actors) => cluster.router.dryRun(change, actors) },
    }),
  });
  const admission = {
    calls: new AdmissionGate('player calls', config.gateway.maxInFlightCalls),
    streamSetups: new AdmissionGate('stream set-ups', config.gateway.maxInFlightSubscribes),
  };
  const outcomes = new CallOutcomes();
  const prometheus = prometheusRegistry({
    nodeId: config.node.id,
    kinds: () => cluster.host.kindMetrics(),
    storeCommitSeconds: () => cluster.storeCommitSeconds.snapshot(),
    openStreams: () => notifier.openStreams,
    playerCalls: () => outcomes.rows(),
    members: () => cluster.members(),
    outboxBacklog: () => cluster.store.outbox.pendingCount(),
  });
  const metrics = () => ({
    nodeId: config.node.id,
    ...sampler.sample(),
    ...storeCommitMetrics(cluster.storeCommitLatencyUs),
    activeActors: cluster.host.activeActorCount,
    ringCovered: cluster.router.claims.covered,
    claimsStarted: cluster.router.claims.claimsStarted,
    callsRefused: admission.calls.refused,
    streamSetupsRefused: admission.streamSetups.refused,
    serving: cluster.router.serving,
  });
  const edge = await startGatewayServer({
    host: config.node.host,
    grpcPort: config.node.grpcPort,
    httpPort: config.node.httpPort,
    services: [huntService({ game, notifier, verifier: new TokenVerifier({ hs256Secret: config.gateway.tokenSecret }), logger, admission, outcomes, ...(config.ops.tracingEnabled ? { tracing: { tracer: trace.getTracer('quarry.gateway'), sampleRatio: config.ops.tracingSampleRatio } } : {}) })],
    beforeBind: (server) => {
      // Native gRPC only: node links and the Admin service are not offered over gRPC-web.
      cluster.addToServer(server);
      server.addService(ops.service.definition, ops.service.implementation);
    },
    maxMessageBytes: config.gateway.maxMessageBytes,
    nativeOnlyMaxMessageBytes: cluster.links.maxMessageBytes,
    corsOrigins: config.gateway.corsOrigins,
    ...(tls.edge ? { tls: tls.edge } : {}),
    closeGraceMs: EDGE_CLOSE_GRACE_MS,
    warn: (message) => logger.warn({ event: 'native-calls-on-grpc-js' }, message),
    httpFallback: (req, res) => {
      if (web(req, res)) return;
      if (ops.inspector(req, res)) return;
      if (serveHealth(req, res, readiness)) return;
      if (req.url === '/metrics' || req.url === '/metrics.json') {
        // Both behind the operator credential; a Prometheus scrape sends it as `authorization: Bearer <token>`.
        if (!isOperator(req.headers.authorization, config.ops.operatorToken)) {
          return void res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('operator credential required');
        }
        if (req.url === '/metrics.json') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metrics()));
        prometheus.metrics().then(
          (text) => res.writeHead(200, { 'content-type': prometheus.contentType }).end(text),
          (err: unknown) => {
            logger.error({ event: 'metrics-failed', err }, 'GET /metrics failed');
            res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed');
          },
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  });
  const grpcAddress = `${config.node.host}:${edge.grpcPort}`;
  // Before the join: a node that cannot join answers probes and players (503, UNAVAILABLE) meanwhile.
  const httpUrl = `${tls.edge ? 'https' : 'http'}://${config.node.host}:${edge.httpPort}`;
  logger.info({ event: 'gateway-listening', grpcAddress, httpUrl }, 'player and HTTP ports open');
  const gossipAddress = await cluster.join(grpcAddress, options.extraSeeds);
  ops.listening(grpcAddress);
  if (config.notify.backend === 'in-process') {
    // Events of actors on other nodes never reach players connected here without NATS: say so, once, loudly.
    const warn = (member: string) =>
      logger.warn({ event: 'notifier-misconfigured', member }, 'several nodes but notify.backend is in-process: players only get events of actors on the node they are connected to; set notify.backend=nats');
    const other = cluster.members().find((m) => m.id !== config.node.id && m.state === 'alive');
    if (other) warn(other.id);
    else {
      const off = cluster.membership!.events.on((e) => {
        if (e.type !== 'alive' || e.id === config.node.id) return;
        warn(e.id);
        off();
      });
    }
  }

  return {
    config,
    cluster,
    game,
    edge,
    gossipAddress,
    grpcAddress,
    httpUrl,
    joined: cluster.joined,
    left: left.promise,
    notReady: () => failingChecks(readiness),
    async stop() {
      ops.close();
      sampler.stop();
      game.close();
      const handoff = await cluster.leave().then(() => undefined, (err: unknown) => err);
      await relay.stop();
      await notifier.close();
      await edge.close();
      await cluster.close();
      if (handoff !== undefined) throw handoff;
    },
  };
}
