import { strict as assert } from 'node:assert';
import { checkCounts, runIncrements } from './support/increments.js';
import { startRoutingCluster, type RoutingCluster } from './support/routing-cluster.js';

describe('cluster/routing: partition 2|1 (node processes; links cut by the transport fault hook, gossip by a filter)', function () {
  this.timeout(120_000);
  let cluster: RoutingCluster;

  before(async () => {
    cluster = await startRoutingCluster(['p1', 'p2', 'p3']);
  });
  after(async () => {
    await cluster?.stop();
  });

  // The load stops before the heal. Through the heal itself an acknowledged write can still be lost today (issue 4):
  // a minority node that hears one peer again regains quorum with a partial view, builds its ring without the peer
  // it has not re-heard, and claims keys from the peers it sees while that peer still hosts them. Move `load.stop()`
  // after the heal to reproduce (3 of 100 counters one short, in full-suite runs).
  it('the minority answers UnavailableError; after heal one activation per key and no acknowledged loss of writes made before and during the partition', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `pt-${i}`);
    const load = runIncrements(cluster, keys, 100);
    await new Promise((r) => setTimeout(r, 2_000));
    const [p1, p2, p3] = [cluster.node('p1'), cluster.node('p2'), cluster.node('p3')];
    await Promise.all([cluster.command(p1, { cmd: 'block', ids: ['p3'] }), cluster.command(p2, { cmd: 'block', ids: ['p3'] }), cluster.command(p3, { cmd: 'block', ids: ['p1', 'p2'] })]);
    await cluster.waitStatus('minority stops serving', p3, (s) => !s.serving);
    await cluster.waitStatus('majority p1 drops p3', p1, (s) => s.serving && s.members.join(',') === 'p1,p2');
    await cluster.waitStatus('majority p2 drops p3', p2, (s) => s.serving && s.members.join(',') === 'p1,p2');
    const fromMinority = await Promise.all(keys.slice(0, 10).map((k) => cluster.ask(p3, k, 'get')));
    assert.deepEqual(new Set(fromMinority.map((r) => r.name)), new Set(['UnavailableError']), 'minority refuses every ask');
    await load.stop();
    await Promise.all([p1, p2, p3].map((n) => cluster.command(n, { cmd: 'heal' })));
    await cluster.waitRing('after heal', ['p1', 'p2', 'p3'], 60_000);
    assert.deepEqual(await checkCounts(cluster, keys, load.tally), [], 'no acknowledged loss');
    for (const key of keys.slice(0, 30)) {
      const replies = await Promise.all([p1, p2, p3].map((n) => cluster.ask(n, key, 'get')));
      assert.ok(replies.every((r) => r.ok), `${key}: ${JSON.stringify(replies)}`);
      assert.equal(new Set(replies.map((r) => r.activation)).size, 1, `${key}: one activation, saw ${replies.map((r) => r.activation).join(',')}`);
    }
  });
});
