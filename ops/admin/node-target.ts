/**
 * An AdminTarget over one node's parts: the ActorHost (active actors, metrics, state), its store (snapshots, audit),
 * a ProcessSampler and the inspector's RecentMessages. The cluster part (membership, routing's leave/join/dry-run)
 * is optional: without it the node is a one-member cluster that can neither join nor leave.
 */
import type { ActorHost } from '../../actors/runtime/index.js';
import type { SnapshotStore } from '../../actors/store/snapshot-store.js';
import { buildRing, shares, type Ring } from '../../cluster/placement/ring.js';
import { toJsonSafe } from '../inspector/json-safe.js';
import type { RecentMessages } from '../inspector/recent-messages.js';
import type { ProcessSampler } from '../process-metrics.js';
import {
  TargetUnsupportedError,
  type AdminTarget,
  type TargetActorDetails,
  type TargetActorSummary,
  type TargetLeaveProgress,
  type TargetMember,
  type TargetMovePlan,
} from './target.js';

/** Audit entries the inspector shows per actor. @default 20 */
export const DEFAULT_INSPECT_AUDIT_LIMIT = 20;

export interface NodeTargetCluster {
  /** Every known member, this node included, with its admin address when known. */
  members(): TargetMember[];
  /** The ring this node routes with; operators see its shares and checksum. */
  ring(): Ring;
  drainPlan(): TargetMovePlan;
  leave(onProgress: (p: TargetLeaveProgress) => void, signal: AbortSignal, options?: { force?: boolean }): Promise<void>;
  join(seeds: string[]): Promise<void>;
  watchMembers?(onChange: () => void): () => void;
}

export interface NodeTargetOptions {
  nodeId: string;
  /** This node's gRPC address (`host:port`), where Admin is served. */
  adminAddress: string;
  host: ActorHost;
  store: Pick<SnapshotStore, 'readSnapshot' | 'readAudit'>;
  sampler: ProcessSampler;
  recent?: RecentMessages;
  cluster?: NodeTargetCluster;
  auditLimit?: number;
  /** Called on every inspect of an actor (operatorTools starts recording its messages then). */
  onInspect?(kind: string, key: string): void;
}

/** Members the admin fan-out asks: those that may still answer. */
const ROUTABLE = new Set(['alive', 'suspect']);

export function nodeTarget(o: NodeTargetOptions): AdminTarget {
  const auditLimit = o.auditLimit ?? DEFAULT_INSPECT_AUDIT_LIMIT;
  const self: TargetMember = { id: o.nodeId, address: o.adminAddress, adminAddress: o.adminAddress, state: 'alive', incarnation: 0 };
  const members = (): TargetMember[] => o.cluster?.members() ?? [self];
  // Without a cluster the node is a one-member ring; with one, the ring is the router's (not rebuilt here).
  const alone = buildRing([o.nodeId]);
  const ring = (): Ring => o.cluster?.ring() ?? alone;

  return {
    nodeId: o.nodeId,
    adminAddress: o.adminAddress,
    members,
    ring() {
      const r = ring();
      return { shares: Object.fromEntries(shares(r)), checksum: r.checksum };
    },
    activeActorsByKind() {
      const out: Record<string, number> = {};
      for (const ref of o.host.activeActors()) out[ref.kind] = (out[ref.kind] ?? 0) + 1;
      return out;
    },
    eventLoopLagMs: () => o.sampler.sample().eventLoopLagP99Ms,
    inspect(kind, key): TargetActorDetails | undefined {
      o.onInspect?.(kind, key);
      const ref = { kind, key };
      const live = o.host.inspect(ref);
      const audit = o.store.readAudit(kind, key, auditLimit).map((r) => toJsonSafe(r));
      const recent = o.recent?.recent(kind, key) ?? [];
      if (live !== undefined) {
        const m = live.metrics;
        return {
          node: o.nodeId, kind, key, active: true, state: toJsonSafe(live.state),
          mailboxDepth: m.mailboxDepth, messagesHandled: m.messagesHandled, lastActivityMs: m.lastActivityMs,
          passivationDueMs: m.passivationDueMs, activationCount: m.activationCount, snapshotSeq: m.snapshotSeq, recent, audit,
        };
      }
      let snap;
      try {
        snap = o.store.readSnapshot(kind, key);
      } catch {
        snap = undefined;
      }
      if (snap === undefined && audit.length === 0) return undefined;
      return {
        node: o.nodeId, kind, key, active: false, state: toJsonSafe(snap?.state ?? null),
        mailboxDepth: 0, messagesHandled: 0, lastActivityMs: 0, passivationDueMs: 0,
        activationCount: snap?.activationCount ?? 0, snapshotSeq: snap?.seq ?? 0, recent, audit,
      };
    },
    search(kind, keyPrefix, limit): TargetActorSummary[] {
      const out: TargetActorSummary[] = [];
      for (const ref of o.host.activeActors()) {
        if (out.length >= limit) break;
        if ((kind !== '' && ref.kind !== kind) || !ref.key.startsWith(keyPrefix)) continue;
        const m = o.host.metrics(ref);
        if (m === undefined) continue;
        out.push({ node: o.nodeId, kind: ref.kind, key: ref.key, active: true, mailboxDepth: m.mailboxDepth, messagesHandled: m.messagesHandled, lastActivityMs: m.lastActivityMs });
      }
      return out;
    },
    watchActor(kind, key, onChange) {
      if (o.recent === undefined) return () => {};
      return o.recent.onRecord((k, id) => {
        if (k === kind && id === key) onChange();
      });
    },
    watchMembers: o.cluster?.watchMembers ? (cb) => o.cluster!.watchMembers!(cb) : undefined,
    drainPlan() {
      if (o.cluster) return o.cluster.drainPlan();
      // One member: leaving would move everything active, with nowhere to go.
      const byKind: Record<string, number> = {};
      for (const ref of o.host.activeActors()) byKind[ref.kind] = (byKind[ref.kind] ?? 0) + 1;
      return { actorsByKind: byKind, bytes: 0 };
    },
    async leave(onProgress, signal, options) {
      if (!o.cluster) throw new TargetUnsupportedError(`node ${o.nodeId} has no cluster routing: leave needs the ClusterRouter's handoff`);
      return o.cluster.leave(onProgress, signal, options);
    },
    async join(seeds) {
      if (!o.cluster) throw new TargetUnsupportedError(`node ${o.nodeId} has no cluster membership: join needs it`);
      return o.cluster.join(seeds);
    },
    peers() {
      return members()
        .filter((m) => m.id !== o.nodeId && ROUTABLE.has(m.state) && m.adminAddress !== undefined)
        .map((m) => m.adminAddress!);
    },
  };
}
