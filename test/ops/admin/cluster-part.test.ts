import assert from 'node:assert/strict';
import { clusterPart } from '../../../ops/admin/cluster-part.js';
import { JoinFailedError } from '../../../ops/admin/target.js';

function fixture() {
  const refs = [{ kind: 'player', key: 'a' }, { kind: 'player', key: 'b' }, { kind: 'beacon', key: 'k1' }];
  let finishLeave!: () => void;
  const host = { activeActors: () => [...refs], get activeActorCount() { return refs.length; } };
  const part = clusterPart({
    nodeId: 'n1',
    membership: {
      members: () => [
        { id: 'n1', addr: '10.0.0.1:7946', incarnation: 1, state: 'alive', meta: '10.0.0.1:50051' },
        { id: 'n2', addr: '10.0.0.2:7946', incarnation: 4, state: 'suspect' },
      ],
      join: async (seeds) => (seeds.includes('good:1') ? 1 : 0),
    },
    router: {
      leave: () => new Promise<void>((r) => (finishLeave = r)),
      dryRun: (change, actors) => {
        assert.deepEqual(change, { leave: 'n1' });
        const byKind: Record<string, { actors: number; bytes: number }> = {};
        for (const a of actors) (byKind[a.kind] ??= { actors: 0, bytes: 0 }).actors++;
        return { byKind, movedBytes: 0 };
      },
    },
    host,
    progressIntervalMs: 60_000,
  });
  return { part, refs, finish: () => finishLeave() };
}

describe('admin clusterPart (Membership + ClusterRouter adapter)', () => {
  it('members carry the admin address from gossip metadata', () => {
    assert.deepEqual(fixture().part.members(), [
      { id: 'n1', address: '10.0.0.1:7946', adminAddress: '10.0.0.1:50051', state: 'alive', incarnation: 1 },
      { id: 'n2', address: '10.0.0.2:7946', adminAddress: undefined, state: 'suspect', incarnation: 4 },
    ]);
  });

  it('drainPlan is the router dry-run of this node leaving, per kind', () => {
    assert.deepEqual(fixture().part.drainPlan(), { actorsByKind: { player: 2, beacon: 1 }, bytes: 0 });
  });

  it('join fails with JoinFailedError when no seed answers', async () => {
    const { part } = fixture();
    await part.join(['good:1']);
    await assert.rejects(part.join(['bad:1']), JoinFailedError);
  });

  it("leave reports moved/remaining from the active count, and done once the router's leave (handoff and announcement) ends", async () => {
    const f = fixture();
    const seen: unknown[] = [];
    const done = f.part.leave((p) => seen.push(p), new AbortController().signal);
    f.refs.splice(0, 2);
    f.finish();
    await done;
    assert.deepEqual(seen, [{ moved: 0, remaining: 3, done: false }, { moved: 3, remaining: 0, done: true }]);
  });

  it('an aborted leave call rejects with AbortError and reports nothing more when the leave ends', async () => {
    const f = fixture();
    const abort = new AbortController();
    const seen: unknown[] = [];
    const leaving = f.part.leave((p) => seen.push(p), abort.signal);
    abort.abort();
    await assert.rejects(leaving, { name: 'AbortError' });
    f.finish();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [{ moved: 0, remaining: 3, done: false }]);
  });
});
