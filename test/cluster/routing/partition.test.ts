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

  it('the minority answers UnavailableError; after heal one activation per key and no acknowledged loss', async () => {
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
    await Promise.all([p1, p2, p3].map((n) => cluster.command(n, { cmd: 'heal' })));
    await cluster.waitRing('after heal', ['p1', 'p2', 'p3'], 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    await load.stop();
    assert.deepEqual(await checkCounts(cluster, keys, load.tally), [], 'no acknowledged loss');
    for (const key of keys.slice(0, 30)) {
      const replies = await Promise.all([p1, p2, p3].map((n) => cluster.ask(n, key, 'get')));
      assert.ok(replies.every((r) => r.ok), `${key}: ${JSON.stringify(replies)}`);
      assert.equal(new Set(replies.map((r) => r.activation)).size, 1, `${key}: one activation, saw ${replies.map((r) => r.activation).join(',')}`);
    }
  });
});
