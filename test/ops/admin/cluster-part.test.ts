import assert from 'node:assert/strict';
import { buildRing } from '../../../cluster/placement/ring.js';
import { clusterPart } from '../../../ops/admin/cluster-part.js';
import { nodeTarget } from '../../../ops/admin/node-target.js';
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
    ring: () => buildRing(['n1', 'n2']),
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

  it("the admin's ring is the ring routing uses, also while a member is suspect and another dead but not yet confirmed gone", () => {
    // Routing keeps n3 in its agreed set until a majority confirms it gone (member-view.ts); gossip already says dead.
    const routing = buildRing(['n1', 'n2', 'n3']);
    const part = clusterPart({
      nodeId: 'n1',
      membership: {
        members: () => [
          { id: 'n1', addr: '10.0.0.1:7946', incarnation: 1, state: 'alive' },
          { id: 'n2', addr: '10.0.0.2:7946', incarnation: 2, state: 'suspect' },
          { id: 'n3', addr: '10.0.0.3:7946', incarnation: 1, state: 'dead' },
        ],
        join: async () => 1,
      },
      router: { leave: async () => {}, dryRun: () => ({ byKind: {}, movedBytes: 0 }) },
      host: { activeActors: () => [], activeActorCount: 0 },
      ring: () => routing,
    });
    const host = { activeActors: () => [] } as unknown as Parameters<typeof nodeTarget>[0]['host'];
    const target = nodeTarget({ nodeId: 'n1', adminAddress: '10.0.0.1:50051', host, store: { readSnapshot: () => undefined, readAudit: () => [] }, sampler: {} as never, cluster: part });
    // A ring rebuilt from the alive and suspect members (what the admin used to show) differs from the routing one.
    assert.notEqual(buildRing(['n1', 'n2']).checksum, routing.checksum);
    assert.equal(target.ring().checksum, routing.checksum);
    assert.deepEqual(Object.keys(target.ring().shares).sort(), ['n1', 'n2', 'n3']);
  });
});
