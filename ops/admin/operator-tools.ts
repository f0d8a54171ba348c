/**
 * Everything operators get from one node, assembled for node/operators.ts: the Admin gRPC service (mount it on
 * the node's grpc-js Server), the inspector's HTTP handler, and the recent-message recorder installed on the host.
 * The node's gRPC address is known only once it listens: call `listening(address)` then; calls before it fail.
 */
import type { ActorHost } from '../../actors/runtime/index.js';
import type { SnapshotStore } from '../../actors/store/snapshot-store.js';
import { createInspectorHandler, type InspectorHandler } from '../inspector/handler.js';
import { RecentMessages, type RecentMessagesOptions } from '../inspector/recent-messages.js';
import type { ProcessSampler } from '../process-metrics.js';
import { nodeTarget, type NodeTargetCluster } from './node-target.js';
import { adminService } from './service.js';
import { NotListeningError, type AdminTarget } from './target.js';

export interface OperatorToolsOptions {
  nodeId: string;
  host: ActorHost;
  store: Pick<SnapshotStore, 'readSnapshot' | 'readAudit'>;
  sampler: ProcessSampler;
  operatorToken: string;
  cluster?: NodeTargetCluster;
  recent?: Omit<RecentMessagesOptions, 'wants'>;
  /**
   * Whose handled messages are recorded (a state copy per message): `inspected` = actors inspected in the last
   * `inspectedWindowMs` (the cheap default: other actors' messages cost one field test), `all` = every actor.
   * @default 'inspected'
   */
  recordRecent?: 'inspected' | 'all';
  /** How long after its last inspection an actor's messages are still recorded, in ms. @default 600000 */
  inspectedWindowMs?: number;
}

/** How long after its last inspection an actor's messages are still recorded, in ms. @default 600000 */
export const DEFAULT_INSPECTED_WINDOW_MS = 600_000;
/** Most actors recorded at once in `inspected` mode (expired ones are dropped first). @default 1000 */
export const MAX_INSPECTED_ACTORS = 1000;

export interface OperatorTools {
  /** A ServiceBinding for startGatewayServer's `services`. */
  readonly service: ReturnType<typeof adminService>;
  /** For `httpFallback`: true when it handled the request. */
  readonly inspector: InspectorHandler;
  /** The target, once `listening` was called. */
  readonly target: AdminTarget | undefined;
  listening(grpcAddress: string): void;
  close(): void;
}

export function operatorTools(o: OperatorToolsOptions): OperatorTools {
  const windowMs = o.inspectedWindowMs ?? DEFAULT_INSPECTED_WINDOW_MS;
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`inspectedWindowMs must be a positive integer, got ${windowMs}`);
  const inspected = new Map<string, number>();
  const onInspect = (kind: string, key: string) => {
    const id = `${kind}/${key}`;
    inspected.delete(id);
    inspected.set(id, Date.now() + windowMs);
    // Map order is least recently inspected first.
    while (inspected.size > MAX_INSPECTED_ACTORS) inspected.delete(inspected.keys().next().value!);
  };
  const wants = o.recordRecent === 'all' ? undefined : (kind: string, key: string) => (inspected.get(`${kind}/${key}`) ?? 0) > Date.now();
  const recent = new RecentMessages({ ...o.recent, wants });
  const unobserve = o.host.observeHandled(recent);
  let target: AdminTarget | undefined;
  let inspector: InspectorHandler | undefined;
  const current = (): AdminTarget => {
    if (target === undefined) throw new NotListeningError('operator tools: the node is not listening yet (call listening(address))');
    return target;
  };
  const forward = new Proxy({} as AdminTarget, { get: (_o, p) => current()[p as keyof AdminTarget] });
  const service = adminService({ target: forward, operatorToken: o.operatorToken });
  const handler = ((req, res) => (inspector === undefined ? false : inspector(req, res))) as InspectorHandler;
  handler.close = () => inspector?.close();
  return {
    service,
    inspector: handler,
    get target() {
      return target;
    },
    listening(grpcAddress) {
      target = nodeTarget({ nodeId: o.nodeId, adminAddress: grpcAddress, host: o.host, store: o.store, sampler: o.sampler, recent, cluster: o.cluster, onInspect });
      inspector = createInspectorHandler(target, o.operatorToken);
    },
    close() {
      handler.close();
      service.close();
      unobserve();
    },
  };
}
