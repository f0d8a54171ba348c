import { strict as assert } from 'node:assert';
import { startRoutingCluster, type RoutingCluster } from '../../../testing/routing/routing-cluster.js';

describe('cluster/routing: single activation (3 node processes)', function () {
  this.timeout(90_000);
  let cluster: RoutingCluster;

  before(async () => {
    cluster = await startRoutingCluster(['s1', 's2', 's3']);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('100 concurrent callers x 10 cold keys entering through all nodes see exactly one activation id per key', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `cold-${i}`);
    const asks: Array<Promise<{ key: string; r: Awaited<ReturnType<RoutingCluster['ask']>> }>> = [];
    for (let caller = 0; caller < 100; caller++) {
      for (const key of keys) {
        const node = cluster.nodes[(caller + key.length) % 3]!;
        asks.push(cluster.ask(node, key, caller % 2 === 0 ? 'inc' : 'get').then((r) => ({ key, r })));
      }
    }
    const results = await Promise.all(asks);
    const failures = results.filter((x) => !x.r.ok);
    assert.deepEqual(failures, [], 'every ask succeeds');
    const activations = new Map<string, Set<string>>();
    for (const { key, r } of results) {
      let set = activations.get(key);
      if (set === undefined) activations.set(key, (set = new Set()));
      set.add(r.activation!);
    }
    for (const key of keys) assert.equal(activations.get(key)?.size, 1, `${key}: activations ${[...(activations.get(key) ?? [])].join(',')}`);
    // 50 increments per key, all acknowledged.
    for (const key of keys) {
      const r = await cluster.ask(cluster.nodes[0]!, key, 'get');
      assert.equal(r.count, 50, `${key} count`);
    }
  });

  it('in a stable ring, first activations take no per-actor claim (ring coverage), still one activation per key', async () => {
    const before = await Promise.all(cluster.nodes.map((n) => cluster.waitStatus('ring coverage', n, (s) => s.covered)));
    const keys = Array.from({ length: 60 }, (_, i) => `fresh-${i}`);
    const results = await Promise.all(keys.flatMap((key, i) => cluster.nodes.map((node, j) => cluster.ask(node, key, (i + j) % 2 === 0 ? 'inc' : 'get').then((r) => ({ key, r })))));
    assert.deepEqual(results.filter((x) => !x.r.ok), [], 'every ask succeeds');
    const activations = new Map<string, Set<string>>();
    for (const { key, r } of results) activations.set(key, (activations.get(key) ?? new Set()).add(r.activation!));
    for (const key of keys) assert.equal(activations.get(key)?.size, 1, `${key}: activations ${[...(activations.get(key) ?? [])].join(',')}`);
    const after = await Promise.all(cluster.nodes.map((n) => cluster.status(n)));
    assert.deepEqual(after.map((s) => s.claimsStarted), before.map((s) => s.claimsStarted), 'per-actor claims begun during the cold activations');
  });
});
