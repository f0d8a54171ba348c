/** A scriptable AdminTarget: members, actors and a leave whose steps the test releases. */
import { TargetUnsupportedError, type AdminTarget, type TargetActorDetails, type TargetLeaveProgress, type TargetMember } from '../../../../ops/admin/target.js';

export interface FakeTarget extends AdminTarget {
  membersList: TargetMember[];
  actors: TargetActorDetails[];
  /** Leave progress steps emitted one per `stepLeave()`; the leave resolves after the last. */
  leaveSteps: TargetLeaveProgress[];
  stepLeave(): void;
  leaveAborted: boolean;
  leaveStarted: Promise<void>;
  changeActor(kind: string, key: string, patch: Partial<TargetActorDetails>): void;
  changeMembers(next: TargetMember[]): void;
}

export function fakeActor(node: string, kind: string, key: string, state: unknown = { points: 0 }): TargetActorDetails {
  return { node, kind, key, active: true, state, mailboxDepth: 0, messagesHandled: 1, lastActivityMs: 1_700_000_000_000, passivationDueMs: 1_700_000_300_000, activationCount: 1, snapshotSeq: 0, recent: [], audit: [] };
}

export function fakeTarget(nodeId: string, adminAddress: string): FakeTarget {
  const actorWatchers = new Set<{ kind: string; key: string; cb: () => void }>();
  const memberWatchers = new Set<() => void>();
  let step: (() => void) | undefined;
  let markStarted!: () => void;
  const t: FakeTarget = {
    nodeId,
    adminAddress,
    membersList: [{ id: nodeId, address: `${adminAddress}-gossip`, adminAddress, state: 'alive', incarnation: 1 }],
    actors: [],
    leaveSteps: [],
    leaveAborted: false,
    leaveStarted: new Promise<void>((r) => (markStarted = r)),
    members: () => t.membersList,
    ring() {
      const live = t.membersList.filter((m) => m.state === 'alive');
      return { shares: Object.fromEntries(live.map((m) => [m.id, 1 / live.length])), checksum: `ck-${live.map((m) => m.id).sort().join(',')}` };
    },
    activeActorsByKind() {
      const out: Record<string, number> = {};
      for (const a of t.actors) if (a.active) out[a.kind] = (out[a.kind] ?? 0) + 1;
      return out;
    },
    eventLoopLagMs: () => 1.5,
    inspect: (kind, key) => t.actors.find((a) => a.kind === kind && a.key === key),
    search: (kind, prefix, limit) => t.actors.filter((a) => (kind === '' || a.kind === kind) && a.key.startsWith(prefix)).slice(0, limit),
    watchActor(kind, key, cb) {
      const w = { kind, key, cb };
      actorWatchers.add(w);
      return () => actorWatchers.delete(w);
    },
    watchMembers(cb) {
      memberWatchers.add(cb);
      return () => memberWatchers.delete(cb);
    },
    drainPlan: () => ({ actorsByKind: t.activeActorsByKind(), bytes: 0 }),
    leave(onProgress, signal) {
      markStarted();
      return new Promise<void>((resolve, reject) => {
        let i = 0;
        signal.addEventListener('abort', () => {
          t.leaveAborted = true;
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
        step = () => {
          const p = t.leaveSteps[i++];
          if (p === undefined) return;
          onProgress(p);
          if (p.done) resolve();
        };
      });
    },
    stepLeave: () => step?.(),
    async join() {
      throw new TargetUnsupportedError(`fake ${nodeId} cannot join`);
    },
    peers: () => t.membersList.filter((m) => m.id !== nodeId && m.state === 'alive' && m.adminAddress).map((m) => m.adminAddress!),
    changeActor(kind, key, patch) {
      const i = t.actors.findIndex((a) => a.kind === kind && a.key === key);
      t.actors[i] = { ...t.actors[i]!, ...patch };
      for (const w of actorWatchers) if (w.kind === kind && w.key === key) w.cb();
    },
    changeMembers(next) {
      t.membersList = next;
      for (const cb of memberWatchers) cb();
    },
  };
  return t;
}
