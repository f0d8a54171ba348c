import { strict as assert } from 'node:assert';
import { checkCounts, runIncrements } from './support/increments.js';
import { startRoutingCluster, type RoutingCluster } from './support/routing-cluster.js';

/** Scaled down from the issue (1,000 counters at 1,000/s for 30 s) for a 2-core machine shared by many test suites. */
const COUNTERS = 300;
const RATE_PER_SEC = 300;
const LOAD_MS = 10_000;
const KILL_AT_MS = 4_000;

describe('cluster/routing: kill -9 failover (3 node processes, durability replicated, replicationFactor 2)', function () {
  this.timeout(120_000);
  let cluster: RoutingCluster;

  before(async () => {
    cluster = await startRoutingCluster(['f1', 'f2', 'f3']);
  });
  after(async () => {
    await cluster?.stop();
  });

  it(`kill -9 one of 3 under ${RATE_PER_SEC} acknowledged increments/s over ${COUNTERS} counters for ${LOAD_MS / 1000} s: every counter >= acked and <= acked + failed`, async () => {
    const keys = Array.from({ length: COUNTERS }, (_, i) => `fo-${i}`);
    const load = runIncrements(cluster, keys, RATE_PER_SEC);
    await new Promise((r) => setTimeout(r, KILL_AT_MS));
    await cluster.kill(cluster.node('f2'));
    await cluster.waitRing('failover', ['f1', 'f3']);
    await new Promise((r) => setTimeout(r, LOAD_MS - KILL_AT_MS));
    await load.stop();
    const { tally } = load;
    const acked = [...tally.acked.values()].reduce((a, b) => a + b, 0);
    assert.ok(acked > tally.sent / 2, `most increments acknowledged: ${acked} of ${tally.sent}; errors ${JSON.stringify([...tally.errorsByName])}`);
    const bad = await checkCounts(cluster, keys, tally);
    assert.deepEqual(bad, [], `counters outside [acked, acked + failed]; errors ${JSON.stringify([...tally.errorsByName])}`);
  });
});
