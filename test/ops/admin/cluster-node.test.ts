/**
 * The operator tools on a whole node started by `startNode` (node/: replicating LMDB store, ActorHost routed through the router,
 * UDP membership, the edge carrying Admin), driven through the Admin service: status with gossip address and
 * incarnation, drain plan, and a graceful leave.
 */
import assert from 'node:assert/strict';
import { adminClient, type Admin } from '../../../ops/admin/client.js';
import { loadHuntFile } from '../../../actors/hunt/index.js';
import { SAMPLE_HUNT_FILE, startTestNode, type TestNode } from '../../../testing/node.js';
import { OPERATOR_TOKEN } from './support/admin-node.js';

describe('operator tools on a real cluster node (router + membership)', function () {
  this.timeout(60_000);
  let started: TestNode;
  let admin: Admin;

  before(async () => {
    started = await startTestNode('admin-cluster', { 'ops.operatorToken': OPERATOR_TOKEN, 'node.id': 'c1' });
    admin = adminClient(started.node.grpcAddress, OPERATOR_TOKEN);
    const { game } = started.node;
    const beacon = loadHuntFile(SAMPLE_HUNT_FILE).beacons[0]!.id;
    for (const p of ['alice', 'bob', 'carol']) await game.reportFix(p, { clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: beacon, rssiDbm: -55 }] });
  });
  after(async () => {
    admin?.close();
    await started?.stop();
  });

  it('Status shows this member with its gossip address, incarnation, whole ring and active actors', async () => {
    const s = await admin.status();
    assert.equal(s.members.length, 1);
    const m = s.members[0]!;
    assert.equal(m.id, 'c1');
    assert.equal(m.state, 'alive');
    assert.match(m.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(m.adminAddress, started.node.grpcAddress);
    assert.equal(m.ringShare, 1);
    assert.equal(m.activeActorsByKind.player, 3);
  });

  it('DrainPlan of the last member: every active actor would move out', async () => {
    const plan = await admin.drainPlan();
    assert.equal(plan.actorsByKind.player, 3);
  });

  it('Leave of the last member is refused without --force', async () => {
    await assert.rejects(admin.leave(() => {}), /FAILED_PRECONDITION: c1 is the last serving member/);
  });

  it('Leave with --force hands every actor off and streams progress to done', async () => {
    const seen: { moved: number; remaining: number; done: boolean }[] = [];
    await admin.leave((p) => seen.push(p), undefined, { force: true });
    assert.ok(seen.length >= 2, `progress updates: ${JSON.stringify(seen)}`);
    assert.equal(seen[0]!.done, false);
    assert.deepEqual(seen.at(-1), { moved: seen[0]!.moved + seen[0]!.remaining, remaining: 0, done: true });
  });
});
