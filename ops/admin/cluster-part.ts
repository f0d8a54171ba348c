/**
 * The cluster half of a node's AdminTarget (`nodeTarget({ cluster })`) over Membership and the ClusterRouter:
 * members with their admin addresses (a member's gossip metadata carries its gRPC address), the ring the router
 * routes with, the router's dry-run for a drain plan, and a graceful leave whose progress is the count of actors
 * still active here.
 */
import type { ActorRef } from '../../actors/runtime/types.js';
import type { NodeTargetCluster } from './node-target.js';
import { EmptyRingError, type Ring } from '../../cluster/placement/ring.js';
import { JoinFailedError, LeaveRefusedError, type TargetLeaveProgress, type TargetMember } from './target.js';

/** How often a leave reports progress, in ms. @default 250 */
export const DEFAULT_LEAVE_PROGRESS_MS = 250;

export interface ClusterPartOptions {
  nodeId: string;
  membership: {
    members(): ReadonlyArray<{ id: string; addr: string; incarnation: number; state: string; meta?: string }>;
    join(seeds: string[]): Promise<number>;
    readonly events?: { on(listener: () => void): () => void };
  };
  router: {
    /** The node's graceful leave: hands every actor off, then announces the leave to the cluster (node/cluster.ts). */
    leave(): Promise<void>;
    /** Why leaving would take the cluster's service away (last serving member, quorum), or undefined. */
    leaveRefusal?(): string | undefined;
    dryRun(change: { leave?: string }, actors: Iterable<{ kind: string; key: string; bytes: number }>): { byKind: Record<string, { actors: number; bytes: number }>; movedBytes: number };
  };
  host: { activeActors(): ActorRef[]; readonly activeActorCount: number };
  /**
   * The ring the router routes with (`ClusterRouter.ring`: the agreed members under quorum), never one rebuilt from
   * the membership list, which also counts suspects and members not yet agreed on.
   */
  ring(): Ring;
  /** A member's admin (gRPC) address; defaults to its gossip metadata. */
  adminAddressOf?(member: { id: string; meta?: string }): string | undefined;
  progressIntervalMs?: number;
}

export function clusterPart(o: ClusterPartOptions): NodeTargetCluster {
  const adminOf = o.adminAddressOf ?? ((m) => (m.meta !== undefined && m.meta !== '' ? m.meta : undefined));
  const progressMs = o.progressIntervalMs ?? DEFAULT_LEAVE_PROGRESS_MS;
  let leaving: Promise<void> | undefined;
  return {
    ring: () => o.ring(),
    members: (): TargetMember[] => o.membership.members().map((m) => ({ id: m.id, address: m.addr, adminAddress: adminOf(m), state: m.state, incarnation: m.incarnation })),
    drainPlan() {
      // Active actors only: what a leave hands off now (passivated ones are already in the replicated store).
      const actors = o.host.activeActors();
      let plan;
      try {
        plan = o.router.dryRun({ leave: o.nodeId }, actors.map((r) => ({ kind: r.kind, key: r.key, bytes: 0 })));
      } catch (err) {
        if (!(err instanceof EmptyRingError)) throw err;
        // The last member leaving: everything active moves out (to the store), with no member to take it.
        const byKind: Record<string, number> = {};
        for (const r of actors) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
        return { actorsByKind: byKind, bytes: 0 };
      }
      return { actorsByKind: Object.fromEntries(Object.entries(plan.byKind).map(([k, v]) => [k, v.actors])), bytes: plan.movedBytes };
    },
    async join(seeds) {
      const answered = await o.membership.join(seeds);
      if (answered === 0) throw new JoinFailedError(`no seed answered: ${seeds.join(', ')}`);
    },
    leave(onProgress, signal, options) {
      const refusal = leaving === undefined && !options?.force ? o.router.leaveRefusal?.() : undefined;
      if (refusal !== undefined) return Promise.reject(new LeaveRefusedError(`${refusal}; pass --force to leave anyway`));
      const total = o.host.activeActorCount;
      const report = (done: boolean): TargetLeaveProgress => {
        const remaining = done ? 0 : o.host.activeActorCount;
        return { moved: Math.max(0, total - remaining), remaining, done };
      };
      leaving ??= o.router.leave();
      const handoff = leaving;
      return new Promise<void>((resolve, reject) => {
        onProgress(report(false));
        const timer = setInterval(() => onProgress(report(false)), progressMs);
        const onAbort = () => {
          clearInterval(timer);
          // A leave cannot be undone: only this call ends; the node goes on handing off and then leaves.
          reject(Object.assign(new Error('leave call aborted; the leave goes on'), { name: 'AbortError' }));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        handoff.then(
          () => {
            if (signal.aborted) return;
            signal.removeEventListener('abort', onAbort);
            clearInterval(timer);
            onProgress(report(true));
            resolve();
          },
          (err: unknown) => {
            clearInterval(timer);
            signal.removeEventListener('abort', onAbort);
            reject(err);
          },
        );
      });
    },
    watchMembers: o.membership.events ? (cb) => o.membership.events!.on(() => cb()) : undefined,
  };
}
