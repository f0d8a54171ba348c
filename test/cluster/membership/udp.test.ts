import assert from 'node:assert/strict';
import { localDefaults, worstCaseDetectionMs } from '../../../cluster/membership/config.js';
import { startCluster, type Cluster } from '../../../testing/cluster.js';

function views(cluster: Cluster, id: string): string {
  return cluster
    .live()
    .map((n) => `${n.id}:${n.view.get(id) ?? 'unknown'}`)
    .join(' ');
}

describe('membership over UDP loopback (5 real node processes)', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(5);
  });
  after(() => cluster?.stop());

  it('all 5 join and see each other alive', () => {
    assert.ok(cluster.converged());
    assert.equal(cluster.live().length, 5);
  });

  it('a process with the wrong cluster key is never admitted', async () => {
    const intruder = await cluster.spawn('intruder', { clusterKey: 'wrong-cluster-key-0123456789', join: [cluster.nodes[0]!.gossipAddress] });
    await cluster.waitFor('intruder join', () => intruder.lines.some((l) => l.event === 'join-failed'), 15_000, () => `intruder logged ${intruder.lines.map((l) => l.event).join(',')}`);
    await cluster.kill(intruder);
    for (const n of cluster.live()) assert.equal(n.view.has('intruder'), false, `${n.id} learned of the intruder`);
    assert.deepEqual([...intruder.view.keys()], ['intruder'], 'the intruder learned of nobody');
    assert.ok(cluster.converged());
  });

  it('a graceful leave is seen as `left` (announced, not timed out) by every other node', async () => {
    const leaver = cluster.nodes.find((n) => n.id === 'n3')!;
    const others = cluster.live().filter((n) => n !== leaver);
    const seen = cluster.waitFor('leave n3', () => others.every((n) => n.view.get('n3') === 'left'), 10_000, () => views(cluster, 'n3'));
    await cluster.leave(leaver);
    await seen;
    assert.equal(leaver.exitCode, 0);
  });

  it('kill -9 of one node: the rest agree it is dead', async () => {
    const victim = cluster.nodes.find((n) => n.id === 'n4')!;
    await cluster.kill(victim);
    const boundMs = worstCaseDetectionMs(localDefaults(), 4);
    await cluster.waitFor('detect n4', () => cluster.live().every((n) => n.view.get('n4') === 'dead'), boundMs + 10_000, () => views(cluster, 'n4'));
    for (const n of cluster.live()) for (const id of ['n0', 'n1', 'n2']) assert.equal(n.view.get(id), 'alive', `${n.id} holds ${id}`);
  });

  it('the killed node restarted under the same id rejoins, refuting its death with a higher incarnation', async () => {
    const again = await cluster.spawn('n4', { join: [cluster.nodes[0]!.gossipAddress] });
    await cluster.waitFor('rejoin n4', () => cluster.converged(), 20_000, () => views(cluster, 'n4'));
    for (const n of cluster.live().filter((x) => x !== again)) {
      const last = n.lines.filter((l) => l.event === 'member' && l.member === 'n4').at(-1)!;
      assert.ok(Number(last.incarnation) > 0, `${n.id} holds n4 alive at incarnation ${last.incarnation}`);
    }
  });
});
