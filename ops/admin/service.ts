/**
 * The Admin gRPC service over an AdminTarget. Every call needs the operator credential. Status and Search are
 * cluster-wide: the node asks each live peer's Admin service for its local view (scope metadata), concurrently,
 * with a deadline; a peer that does not answer is reported, not hidden.
 */
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { AdminService, type ActorInfo, type ClusterStatus, type Member, type SearchResult } from '../../proto/gen/admin.js';
import { isOperator } from '../operator-auth.js';
import { adminClient, isServiceError, SCOPE_METADATA_KEY, type Admin } from './client.js';
import { JoinFailedError, LeaveRefusedError, NotListeningError, TargetUnsupportedError, type AdminTarget, type TargetActorDetails, type TargetActorSummary } from './target.js';

/** Deadline of one peer call in a fan-out, in ms. @default 2000 */
export const DEFAULT_PEER_TIMEOUT_MS = 2000;
/** Most actors one Search returns. @default 1000 */
export const MAX_SEARCH_LIMIT = 1000;

export interface AdminServiceOptions {
  target: AdminTarget;
  operatorToken: string;
  peerTimeoutMs?: number;
}

type Fail = { code: status; details: string };

export function adminService(o: AdminServiceOptions) {
  const peerTimeoutMs = o.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
  const t = o.target;
  const clients = new Map<string, Admin>();
  const peer = (addr: string): Admin => {
    let c = clients.get(addr);
    if (c === undefined) clients.set(addr, (c = adminClient(addr, o.operatorToken)));
    return c;
  };
  const authFail = (md: Metadata): Fail | undefined => {
    const auth = md.get('authorization')[0];
    if (auth === undefined) return { code: status.UNAUTHENTICATED, details: 'operator credential required: send authorization: Bearer <ops.operatorToken>' };
    if (!isOperator(String(auth), o.operatorToken)) return { code: status.UNAUTHENTICATED, details: 'operator credential rejected: the bearer token does not match ops.operatorToken' };
    return undefined;
  };
  const local = (md: Metadata) => md.get(SCOPE_METADATA_KEY)[0] === 'local';
  const toFail = (err: unknown): Fail => {
    if (err instanceof TargetUnsupportedError || err instanceof LeaveRefusedError) return { code: status.FAILED_PRECONDITION, details: err.message };
    if (isServiceError(err)) return { code: err.code, details: err.details };
    // By name: an aborted leave rejects by the AbortSignal convention, an error named AbortError of no class of ours.
    if (err instanceof Error && err.name === 'AbortError') return { code: status.CANCELLED, details: 'aborted' };
    if (err instanceof JoinFailedError || err instanceof NotListeningError) return { code: status.UNAVAILABLE, details: err.message };
    return { code: status.INTERNAL, details: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  };
  const unary = <Req, Res>(body: (req: Req, md: Metadata) => Promise<Res> | Res) => (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
    const denied = authFail(call.metadata);
    if (denied) return cb(denied as Partial<ServiceError> as ServiceError);
    Promise.resolve()
      .then(() => body(call.request, call.metadata))
      .then((r) => cb(null, r), (err) => cb(toFail(err) as Partial<ServiceError> as ServiceError));
  };

  const localStatus = (): ClusterStatus => {
    const ring = t.ring();
    const members: Member[] = t.members().map((m) => ({
      id: m.id, address: m.address, state: m.state, incarnation: m.incarnation, ringShare: ring.shares[m.id] ?? 0,
      activeActorsByKind: m.id === t.nodeId ? t.activeActorsByKind() : {},
      eventLoopLagMs: m.id === t.nodeId ? t.eventLoopLagMs() : 0,
      unreachableReason: m.id === t.nodeId ? '' : 'not asked (local view)',
      adminAddress: m.adminAddress ?? '',
    }));
    return { nodeId: t.nodeId, members, ringChecksum: ring.checksum };
  };

  const clusterStatus = async (): Promise<ClusterStatus> => {
    const mine = localStatus();
    await Promise.all(
      mine.members.map(async (m) => {
        if (m.id === t.nodeId) return;
        if (m.adminAddress === '' || !(m.state === 'alive' || m.state === 'suspect')) {
          m.unreachableReason = m.adminAddress === '' ? 'admin address unknown' : `member is ${m.state}`;
          return;
        }
        try {
          const theirs = await peer(m.adminAddress).status({ local: true, timeoutMs: peerTimeoutMs });
          const self = theirs.members.find((x) => x.id === m.id);
          if (self === undefined) throw new Error(`peer answered as ${theirs.nodeId}, not ${m.id}`);
          m.activeActorsByKind = self.activeActorsByKind;
          m.eventLoopLagMs = self.eventLoopLagMs;
          m.unreachableReason = '';
        } catch (err) {
          m.unreachableReason = isServiceError(err) ? `${status[err.code]}: ${err.details}` : String(err);
        }
      }),
    );
    return mine;
  };

  const implementation = {
    status: unary<unknown, ClusterStatus>((_req, md) => (local(md) ? localStatus() : clusterStatus())),
    join: unary<{ seeds: string[] }, ClusterStatus>(async (req) => {
      if (req.seeds.length === 0) throw Object.assign(new Error(), { code: status.INVALID_ARGUMENT, details: 'join needs at least one seed' });
      await t.join(req.seeds);
      return localStatus();
    }),
    drainPlan: unary(() => t.drainPlan()),
    inspect: unary<{ kind: string; key: string }, ActorInfo>(async (req, md) => {
      const mine = t.inspect(req.kind, req.key);
      if (mine?.active || local(md)) {
        if (mine === undefined) throw Object.assign(new Error(), { code: status.NOT_FOUND, details: `${req.kind}/${req.key} is not on ${t.nodeId}` });
        return actorInfo(mine);
      }
      // Not active here: the active copy (if any) lives on a peer; otherwise the stored one is as good as any.
      const answers = await Promise.allSettled(t.peers().map((a) => peer(a).inspect(req.kind, req.key, { local: true, timeoutMs: peerTimeoutMs })));
      const found = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const best = found.find((a) => a.active) ?? (mine ? actorInfo(mine) : found[0]);
      if (best === undefined) throw Object.assign(new Error(), { code: status.NOT_FOUND, details: `${req.kind}/${req.key} not found on any reachable node` });
      return best;
    }),
    search: unary<{ kind: string; keyPrefix: string; limit: number }, SearchResult>(async (req, md) => {
      const limit = Math.min(req.limit > 0 ? req.limit : 100, MAX_SEARCH_LIMIT);
      const actors = t.search(req.kind, req.keyPrefix, limit).map(summaryInfo);
      if (local(md)) return { actors, unreachable: [] };
      const unreachable: string[] = [];
      await Promise.all(
        t.peers().map(async (addr) => {
          try {
            actors.push(...(await peer(addr).search(req.kind, req.keyPrefix, limit, { local: true, timeoutMs: peerTimeoutMs })).actors);
          } catch (err) {
            unreachable.push(`${addr}: ${isServiceError(err) ? status[err.code] : String(err)}`);
          }
        }),
      );
      actors.sort((a, b) => (a.kind === b.kind ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.kind < b.kind ? -1 : 1));
      return { actors: actors.slice(0, limit), unreachable };
    }),
    leave(call: ServerWritableStream<{ dryRun: boolean; force: boolean }, unknown>) {
      const denied = authFail(call.metadata);
      if (denied) return void call.emit('error', Object.assign(new Error(denied.details), denied));
      if (call.request.dryRun) {
        call.write({ moved: 0, remaining: Object.values(t.drainPlan().actorsByKind).reduce((a, b) => a + b, 0), done: false });
        return call.end();
      }
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      t.leave((p) => call.write(p), abort.signal, { force: call.request.force }).then(
        () => call.end(),
        (err) => {
          if (abort.signal.aborted) return;
          const f = toFail(err);
          call.emit('error', Object.assign(new Error(f.details), f));
        },
      );
    },
  };
  return {
    definition: AdminService,
    implementation,
    /** Closes the channels to peers. */
    close: () => {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
  };
}

function actorInfo(d: TargetActorDetails): ActorInfo {
  return {
    node: d.node, kind: d.kind, key: d.key, active: d.active, stateJson: JSON.stringify(d.state ?? null),
    mailboxDepth: d.mailboxDepth, messagesHandled: d.messagesHandled, lastActivityMs: d.lastActivityMs,
    passivationDueMs: d.passivationDueMs, activationCount: d.activationCount, snapshotSeq: d.snapshotSeq,
    recentJson: JSON.stringify(d.recent), auditJson: JSON.stringify(d.audit),
  };
}

function summaryInfo(s: TargetActorSummary): ActorInfo {
  return {
    node: s.node, kind: s.kind, key: s.key, active: s.active, stateJson: '', mailboxDepth: s.mailboxDepth,
    messagesHandled: s.messagesHandled, lastActivityMs: s.lastActivityMs, passivationDueMs: 0, activationCount: 0,
    snapshotSeq: 0, recentJson: '', auditJson: '',
  };
}
