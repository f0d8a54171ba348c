import { strict as assert } from 'node:assert';
import { buildRing, ownerOf } from '../../../cluster/placement/ring.js';
import { checkCounts, RETRIABLE_NAMES, runIncrements, type Tally } from './support/increments.js';
import { startRoutingCluster, type AskResult, type RoutingCluster } from '../../../testing/routing/routing-cluster.js';

/** Scaled down from the load for a shared 2-core machine. */
const COUNTERS = 200;
const RATE_PER_SEC = 200;

function nonRetriable(t: Tally): Array<[string, number]> {
  return [...t.errorsByName].filter(([name]) => !RETRIABLE_NAMES.has(name));
}

describe('cluster/routing: handoff on leave and join (node processes, durability replicated)', function () {
  this.timeout(120_000);
  let cluster: RoutingCluster | undefined;

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it(`graceful leave of 1 of 3 under ${RATE_PER_SEC} increments/s over ${COUNTERS} counters: zero non-retriable errors, every counter within [acked, acked + failed]`, async () => {
    cluster = await startRoutingCluster(['l1', 'l2', 'l3']);
    const keys = Array.from({ length: COUNTERS }, (_, i) => `lv-${i}`);
    const load = runIncrements(cluster, keys, RATE_PER_SEC);
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster.leave(cluster.node('l2'));
    await cluster.waitRing('after leave', ['l1', 'l3']);
    await new Promise((r) => setTimeout(r, 3_000));
    await load.stop();
    assert.deepEqual(nonRetriable(load.tally), [], 'only retriable errors');
    assert.deepEqual(await checkCounts(cluster, keys, load.tally), []);
  });

  it(`join of a 3rd node under ${RATE_PER_SEC} increments/s over ${COUNTERS} counters: zero non-retriable errors, every counter within [acked, acked + failed]`, async () => {
    cluster = await startRoutingCluster(['j1', 'j2']);
    const keys = Array.from({ length: COUNTERS }, (_, i) => `jn-${i}`);
    const load = runIncrements(cluster, keys, RATE_PER_SEC);
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster.spawn('j3');
    await cluster.waitRing('after join', ['j1', 'j2', 'j3']);
    await new Promise((r) => setTimeout(r, 3_000));
    await load.stop();
    assert.deepEqual(nonRetriable(load.tally), [], 'only retriable errors');
    assert.deepEqual(await checkCounts(cluster, keys, load.tally), []);
  });

  it('messages queued on the old owner and sent to the new one during a join are each handled once, by one activation at a time', async () => {
    cluster = await startRoutingCluster(['m1', 'm2']);
    const before = buildRing(['m1', 'm2']);
    const after = buildRing(['m1', 'm2', 'm3']);
    let key = '';
    for (let i = 0; key === ''; i++) if (ownerOf(before, 'counter', `mh-${i}`) === 'm1' && ownerOf(after, 'counter', `mh-${i}`) === 'm3') key = `mh-${i}`;
    const c = cluster;
    // 40 increments of 50 ms each sit in m1's mailbox while m3 joins and claims the actor.
    const early = Array.from({ length: 40 }, () => c.ask(c.node('m1'), key, 'inc', 10_000, 50));
    await cluster.spawn('m3');
    const late = ['m1', 'm2', 'm3'].flatMap((id) => Array.from({ length: 10 }, () => c.ask(c.node(id), key, 'inc', 10_000)));
    const results: AskResult[] = await Promise.all([...early, ...late]);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed.filter((r) => !RETRIABLE_NAMES.has(String(r.name))), [], 'only retriable failures');
    const ok = results.filter((r) => r.ok);
    const counts = ok.map((r) => r.count!).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: ok.length }, (_, i) => i + 1), 'each acknowledged increment counted exactly once');
    // Activations never overlap: ordered by count, the activation id changes at most once per handoff and never returns.
    const order = ok.sort((a, b) => a.count! - b.count!).map((r) => r.activation!);
    const runs = order.filter((a, i) => i === 0 || order[i - 1] !== a);
    assert.equal(new Set(runs).size, runs.length, `activation sequence ${runs.join(' -> ')}`);
    await cluster.waitRing('after join', ['m1', 'm2', 'm3']);
    const final = await cluster.ask(cluster.node('m2'), key, 'get');
    assert.equal(final.count, ok.length);
    assert.match(final.activation!, /^m3#/);
  });
});
