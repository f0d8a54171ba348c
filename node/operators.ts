/**
 * What operators get from a node: the Admin service and the inspector (over the node's own parts and the ring its
 * router routes with), readiness checks, and metrics as JSON and for Prometheus, all behind the operator credential.
 */
import type { Logger } from '../actors/runtime/types.js';
import type { CallOutcomes } from '../gateway/call-outcomes.js';
import type { Notifier } from '../gateway/notify/notifier.js';
import { clusterPart } from '../ops/admin/cluster-part.js';
import { operatorTools, type OperatorTools } from '../ops/admin/operator-tools.js';
import type { NodeConfig } from '../ops/config/index.js';
import type { ReadinessCheck } from '../ops/health.js';
import { prometheusRegistry } from '../ops/metrics/prometheus.js';
import { isOperator } from '../ops/operator-auth.js';
import { ProcessSampler, storeCommitMetrics } from '../ops/process-metrics.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterNode } from './cluster.js';
import type { Admission } from './hunt.js';

export interface OperatorPart {
  readonly tools: OperatorTools;
  readonly readiness: ReadinessCheck[];
  /** `GET /metrics` (Prometheus) and `GET /metrics.json`; true when it handled the request. */
  metrics(req: IncomingMessage, res: ServerResponse): boolean;
  close(): void;
}

export interface OperatorPartOptions {
  config: NodeConfig;
  cluster: ClusterNode;
  notifier: Notifier;
  admission: Admission;
  outcomes: CallOutcomes;
  /** The node's graceful leave as an operator asks for it (`quarry node leave`). */
  leave(): Promise<void>;
  logger: Logger;
}

export function operatorPart(o: OperatorPartOptions): OperatorPart {
  const { config, cluster, logger } = o;
  const nodeId = config.node.id;
  const readiness: ReadinessCheck[] = [
    { name: 'joined', ok: () => cluster.router.isStarted },
    { name: 'serving with quorum', ok: () => cluster.router.serving },
    { name: 'in the ring', ok: () => cluster.ring().members.includes(nodeId) },
  ];
  const sampler = new ProcessSampler();
  const tools = operatorTools({
    nodeId,
    host: cluster.host,
    store: cluster.store,
    sampler,
    operatorToken: config.ops.operatorToken,
    cluster: clusterPart({
      nodeId,
      host: cluster.host,
      membership: { members: () => cluster.members(), join: (seeds) => cluster.membership!.join(seeds) },
      router: { leave: o.leave, leaveRefusal: () => cluster.router.leaveRefusal(), dryRun: (change, actors) => cluster.router.dryRun(change, actors) },
      ring: () => cluster.ring(),
    }),
  });
  const prometheus = prometheusRegistry({
    nodeId,
    kinds: () => cluster.host.kindMetrics(),
    storeCommitSeconds: () => cluster.storeCommitSeconds.snapshot(),
    openStreams: () => o.notifier.openStreams,
    playerCalls: () => o.outcomes.rows(),
    members: () => cluster.members(),
    outboxBacklog: () => cluster.store.outbox.pendingCount(),
  });
  const metricsJson = () => ({
    nodeId,
    ...sampler.sample(),
    ...storeCommitMetrics(cluster.storeCommitLatencyUs),
    activeActors: cluster.host.activeActorCount,
    ringCovered: cluster.router.claims.covered,
    claimsStarted: cluster.router.claims.claimsStarted,
    callsRefused: o.admission.calls.refused,
    streamSetupsRefused: o.admission.streamSetups.refused,
    serving: cluster.router.serving,
  });
  return {
    tools,
    readiness,
    metrics(req, res) {
      if (req.url !== '/metrics' && req.url !== '/metrics.json') return false;
      // Both behind the operator credential; a Prometheus scrape sends it as `authorization: Bearer <token>`.
      if (!isOperator(req.headers.authorization, config.ops.operatorToken)) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('operator credential required');
        return true;
      }
      if (req.url === '/metrics.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metricsJson()));
        return true;
      }
      prometheus.metrics().then(
        (text) => res.writeHead(200, { 'content-type': prometheus.contentType }).end(text),
        (err: unknown) => {
          logger.error({ event: 'metrics-failed', err }, 'GET /metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed');
        },
      );
      return true;
    },
    close() {
      tools.close();
      sampler.stop();
    },
  };
}
