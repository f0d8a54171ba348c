import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { adminClient, type Admin } from '../../../ops/admin/client.js';
import { JoinFailedError, NotListeningError } from '../../../ops/admin/target.js';
import { fakeActor, fakeTarget, type FakeTarget } from './support/fake-target.js';
import { serveTarget, type Served } from './support/serve.js';

const TOKEN = 'fake-admin-operator-token-0123456789';

async function rejectsWith(p: Promise<unknown>, code: status, details: RegExp): Promise<void> {
  await assert.rejects(p, (err: { code: number; details: string }) => {
    assert.equal(status[err.code], status[code]);
    assert.match(err.details, details);
    return true;
  });
}

describe('Admin service over fake targets (two nodes)', () => {
  let a: Served<FakeTarget>;
  let b: Served<FakeTarget>;
  let client: Admin;

  beforeEach(async () => {
    a = await serveTarget((addr) => fakeTarget('n1', addr), TOKEN);
    b = await serveTarget((addr) => fakeTarget('n2', addr), TOKEN);
    const both = [
      { id: 'n1', address: 'g1:7946', adminAddress: a.grpcAddress, state: 'alive', incarnation: 2 },
      { id: 'n2', address: 'g2:7946', adminAddress: b.grpcAddress, state: 'alive', incarnation: 5 },
    ];
    a.target.membersList = both;
    b.target.membersList = both;
    a.target.actors = [fakeActor('n1', 'player', 'alice'), fakeActor('n1', 'beacon', 'k1')];
    b.target.actors = [fakeActor('n2', 'player', 'alfred', { points: 60 }), fakeActor('n2', 'player', 'bob')];
    client = adminClient(a.grpcAddress, TOKEN);
  });
  afterEach(async () => {
    client.close();
    await a.close();
    await b.close();
  });

  it('every call without the operator credential is UNAUTHENTICATED with a reason', async () => {
    const none = adminClient(a.grpcAddress, '');
    const wrong = adminClient(a.grpcAddress, 'not-the-operator-token-at-all');
    try {
      await rejectsWith(wrong.status(), status.UNAUTHENTICATED, /does not match ops.operatorToken/);
      await rejectsWith(wrong.search('', '', 10), status.UNAUTHENTICATED, /rejected/);
      await rejectsWith(wrong.inspect('player', 'alice'), status.UNAUTHENTICATED, /rejected/);
      await rejectsWith(wrong.drainPlan(), status.UNAUTHENTICATED, /rejected/);
      await rejectsWith(wrong.join(['x:1']), status.UNAUTHENTICATED, /rejected/);
      await rejectsWith(wrong.leave(() => assert.fail('no progress without a credential')), status.UNAUTHENTICATED, /rejected/);
      // An empty token is no "Bearer <token>" at all.
      await rejectsWith(none.status(), status.UNAUTHENTICATED, /operator credential/);
    } finally {
      none.close();
      wrong.close();
    }
  });

  it('Status is cluster-wide: each member with its own actors and loop lag, ring share and checksum', async () => {
    const s = await client.status();
    assert.equal(s.nodeId, 'n1');
    assert.equal(s.ringChecksum, 'ck-n1,n2');
    assert.deepEqual(
      s.members.map((m) => [m.id, m.state, m.incarnation, m.address, m.ringShare, m.activeActorsByKind, m.eventLoopLagMs, m.unreachableReason]),
      [
        ['n1', 'alive', 2, 'g1:7946', 0.5, { player: 1, beacon: 1 }, 1.5, ''],
        ['n2', 'alive', 5, 'g2:7946', 0.5, { player: 2 }, 1.5, ''],
      ],
    );
  });

  it('a peer that does not answer is reported in Status and Search, not hidden', async () => {
    await b.close();
    const s = await client.status({ timeoutMs: 5000 });
    assert.match(s.members.find((m) => m.id === 'n2')!.unreachableReason, /UNAVAILABLE|DEADLINE_EXCEEDED/);
    const r = await client.search('player', '', 10, { timeoutMs: 5000 });
    assert.deepEqual(r.actors.map((x) => `${x.node}:${x.kind}/${x.key}`), ['n1:player/alice']);
    assert.equal(r.unreachable.length, 1);
    b = await serveTarget((addr) => fakeTarget('n2', addr), TOKEN);
  });

  it('Search merges peers, sorted by kind and key, and honours kind, prefix and limit', async () => {
    const r = await client.search('player', 'al', 10);
    assert.deepEqual(r.actors.map((x) => `${x.node}:${x.kind}/${x.key}`), ['n2:player/alfred', 'n1:player/alice']);
    assert.deepEqual(r.unreachable, []);
    const all = await client.search('', '', 3);
    assert.deepEqual(all.actors.map((x) => `${x.kind}/${x.key}`), ['beacon/k1', 'player/alfred', 'player/alice']);
  });

  it('Inspect finds an actor on a peer and carries state, metrics, recent and audit as JSON', async () => {
    b.target.changeActor('player', 'alfred', { recent: [{ atMs: 5, msg: { type: 'fix' }, failed: false, diff: [{ op: 'change', path: ['points'], before: 0, after: 60 }] }], audit: [{ id: 1 }] });
    const info = await client.inspect('player', 'alfred');
    assert.equal(info.node, 'n2');
    assert.deepEqual(JSON.parse(info.stateJson), { points: 60 });
    assert.equal(info.messagesHandled, 1);
    assert.deepEqual(JSON.parse(info.recentJson)[0].diff, [{ op: 'change', path: ['points'], before: 0, after: 60 }]);
    assert.deepEqual(JSON.parse(info.auditJson), [{ id: 1 }]);
    await rejectsWith(client.inspect('player', 'nobody'), status.NOT_FOUND, /player\/nobody not found/);
  });

  it('DrainPlan counts what would move per kind; Join surfaces an unsupported target as FAILED_PRECONDITION', async () => {
    assert.deepEqual(await client.drainPlan(), { actorsByKind: { player: 1, beacon: 1 }, bytes: 0 });
    await rejectsWith(client.join(['10.0.0.9:7946']), status.FAILED_PRECONDITION, /cannot join/);
    await rejectsWith(client.join([]), status.INVALID_ARGUMENT, /at least one seed/);
  });

  it('a join that reached no seed and a node not listening yet are UNAVAILABLE; an error merely named so is INTERNAL', async () => {
    a.target.join = async () => {
      throw new JoinFailedError('no seed answered: 10.0.0.9:7946');
    };
    await rejectsWith(client.join(['10.0.0.9:7946']), status.UNAVAILABLE, /^no seed answered: 10\.0\.0\.9:7946$/);
    a.target.join = async () => {
      throw new NotListeningError('operator tools: the node is not listening yet');
    };
    await rejectsWith(client.join(['10.0.0.9:7946']), status.UNAVAILABLE, /not listening yet/);
    // Matched by class: an unrelated failure that happens to carry the name is a bug to report, not a retriable state.
    a.target.join = async () => {
      throw Object.assign(new Error('impostor'), { name: 'JoinFailedError' });
    };
    await rejectsWith(client.join(['10.0.0.9:7946']), status.INTERNAL, /^JoinFailedError: impostor$/);
  });

  it('Leave streams progress to the end, and cancelling the call aborts the leave on the node', async () => {
    a.target.leaveSteps = [{ moved: 0, remaining: 2, done: false }, { moved: 1, remaining: 1, done: false }, { moved: 2, remaining: 0, done: true }];
    const seen: unknown[] = [];
    const done = client.leave((p) => {
      seen.push(p);
      a.target.stepLeave();
    });
    await a.target.leaveStarted;
    a.target.stepLeave();
    await done;
    assert.deepEqual(seen, a.target.leaveSteps);

    b.target.leaveSteps = [{ moved: 0, remaining: 5, done: false }, { moved: 5, remaining: 0, done: true }];
    const abort = new AbortController();
    const other = adminClient(b.grpcAddress, TOKEN);
    try {
      const cancelled = other.leave(() => abort.abort(), abort.signal);
      await b.target.leaveStarted;
      b.target.stepLeave();
      await rejectsWith(cancelled, status.CANCELLED, /.*/);
      const deadline = Date.now() + 5000;
      while (!b.target.leaveAborted) {
        if (Date.now() > deadline) assert.fail('leave abort: expected the node to see the cancel within 5 s, leaveAborted stayed false');
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      other.close();
    }
  });
});
