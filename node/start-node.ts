/**
 * One Quarry node, assembled here and nowhere else: store, actor runtime and cluster (`cluster.ts`) hosting the
 * hunt's kinds and any others given → notifier and outbox relay (`notify.ts`) → player edge (`hunt.ts`) and operator
 * tools (`operators.ts`) on one grpc-js Server that also carries the node links → join. The CLI (`quarry node start`),
 * the demo, the benchmarks and the multi-node tests all start nodes through `startNode`; it is the only reader of
 * `NodeConfig`, so the layers below take plain options.
 */
import { trace } from '@opentelemetry/api';
import type { HuntGame } from '../actors/hunt/index.js';
import { deferred, systemClock, type Clock, type KindDef, type Logger } from '../actors/runtime/index.js';
import type { openLmdbStore } from '../actors/store/index.js';
import { startGatewayServer, type GatewayServer } from '../gateway/server.js';
import { nodeTls, type NodeConfig } from '../ops/config/index.js';
import { failingChecks, serveHealth } from '../ops/health.js';
import { CallOutcomes } from '../gateway/call-outcomes.js';
import { createClusterNode, type ClusterNode, type NodeTransports } from './cluster.js';
import { admissionGates, huntPart, playerEdge } from './hunt.js';
import { startNotify } from './notify.js';
import { operatorPart } from './operators.js';
import { warnInProcessNotifier } from './warnings.js';

export interface StartNodeOptions {
  config: NodeConfig;
  logger: Logger;
  /**
   * Actor kinds to host instead of the hunt of `hunt.file` (a test's counter): the node then serves no player API and
   * no page, only node links, Admin, the inspector, health and metrics. @default the hunt's kinds
   */
  kinds?: readonly KindDef<any, any, any, any, any>[];
  /** @default systemClock() */
  clock?: Clock;
  /** Gossip and link transports. @default UDP gossip and grpc-js links */
  transport?: NodeTransports;
  /** Opens the node's store in `node.dataDir`. @default openLmdbStore */
  openStore?: typeof openLmdbStore;
  /** Gossip addresses to join besides `node.seeds`. */
  extraSeeds?: string[];
}

/** `game` is the hunt's facade, or undefined on a node started with other `kinds`. */
export interface QuarryNode<Game extends HuntGame | undefined = HuntGame> {
  readonly config: NodeConfig;
  readonly cluster: ClusterNode;
  readonly game: Game;
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

export function startNode(options: StartNodeOptions & { kinds?: undefined }): Promise<QuarryNode>;
export function startNode(options: StartNodeOptions & { kinds: readonly KindDef<any, any, any, any, any>[] }): Promise<QuarryNode<undefined>>;
export async function startNode(options: StartNodeOptions): Promise<QuarryNode<HuntGame | undefined>> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock();
  const hunt = options.kinds === undefined ? huntPart(config) : undefined;
  const tracer = (name: string) => (config.ops.tracingEnabled ? trace.getTracer(name) : undefined);
  // Throws a ConfigError naming the setting for an unreadable or expired certificate: before anything opens.
  const tls = nodeTls(config);
  if (!tls.edge && !tls.links && !config.ops.allowDevSecrets) {
    logger.warn({ event: 'no-tls' }, 'no TLS: player tokens and fixes (gRPC and gRPC-web) and node links travel in clear; set gateway.tlsCertFile/tlsKeyFile and cluster.tlsCaFile/tlsCertFile/tlsKeyFile, or terminate TLS in front of every port');
  }

  const cluster = createClusterNode({
    config, logger, clock, tracer: tracer('quarry.runtime'),
    kinds: hunt?.kinds.all ?? options.kinds ?? [],
    ...(tls.links ? { linkTls: tls.links } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.openStore ? { openStore: options.openStore } : {}),
  });
  const notify = startNotify(config, cluster.store.outbox, logger, tracer('quarry.notify'));
  const admission = admissionGates(config);
  const outcomes = new CallOutcomes();
  const players = hunt && playerEdge({ config, hunt, system: cluster.router, audit: cluster.store, clock, notifier: notify.notifier, admission, outcomes, logger, tracer: tracer('quarry.gateway') });
  const left = deferred<void>();
  const operatorLeave = (): Promise<void> => {
    const leaving = cluster.leave();
    leaving.then(left.resolve, left.reject);
    return leaving;
  };
  const ops = operatorPart({ config, cluster, notifier: notify.notifier, admission, outcomes, leave: operatorLeave, logger });
  const readiness = [...ops.readiness, ...notify.readiness];

  const edge = await startGatewayServer({
    host: config.node.host,
    grpcPort: config.node.grpcPort,
    httpPort: config.node.httpPort,
    services: players ? [players.service] : [],
    beforeBind: (server) => {
      // Native gRPC only: node links and the Admin service are not offered over gRPC-web.
      cluster.addToServer(server);
      server.addService(ops.tools.service.definition, ops.tools.service.implementation);
    },
    maxMessageBytes: config.gateway.maxMessageBytes,
    nativeOnlyMaxMessageBytes: cluster.links.maxMessageBytes,
    corsOrigins: config.gateway.corsOrigins,
    ...(tls.edge ? { tls: tls.edge } : {}),
    closeGraceMs: EDGE_CLOSE_GRACE_MS,
    warn: (message) => logger.warn({ event: 'native-calls-on-grpc-js' }, message),
    httpFallback: (req, res) => {
      if (hunt?.web(req, res) || ops.tools.inspector(req, res) || serveHealth(req, res, readiness) || ops.metrics(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  });
  const grpcAddress = `${config.node.host}:${edge.grpcPort}`;
  // Before the join: a node that cannot join answers probes and players (503, UNAVAILABLE) meanwhile.
  const httpUrl = `${tls.edge ? 'https' : 'http'}://${config.node.host}:${edge.httpPort}`;
  logger.info({ event: 'gateway-listening', grpcAddress, httpUrl }, 'player and HTTP ports open');
  const gossipAddress = await cluster.join(grpcAddress, options.extraSeeds);
  ops.tools.listening(grpcAddress);
  if (config.notify.backend === 'in-process') warnInProcessNotifier(cluster, logger);

  return {
    config,
    cluster,
    game: players?.game,
    edge,
    gossipAddress,
    grpcAddress,
    httpUrl,
    joined: cluster.joined,
    left: left.promise,
    notReady: () => failingChecks(readiness),
    async stop() {
      ops.close();
      admission.governor.stop();
      players?.game.close();
      const handoff = await cluster.leave().then(() => undefined, (err: unknown) => err);
      await notify.stop();
      await edge.close();
      await cluster.close();
      if (handoff !== undefined) throw handoff;
    },
  };
}
