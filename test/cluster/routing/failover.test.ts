import { strict as assert } from 'node:assert';
import { checkCounts, runIncrements } from './support/increments.js';
import { startRoutingCluster, type RoutingCluster } from '../../../testing/routing/routing-cluster.js';

/**
 * The scale: 1,000 counters, 1,000 increments/s offered for 30 s, one of 3 nodes killed with SIGKILL 10 s in.
 * Each increment is a JSON command from this process to a node (entering round-robin), so the acknowledged rate is
 * what the 2-core machine sustains with 3 node processes and this driver; the test prints it.
 */
const COUNTERS = 1_000;
const RATE_PER_SEC = 1_000;
const LOAD_MS = 30_000;
const KILL_AT_MS = 10_000;

describe('cluster/routing: kill -9 failover (3 node processes, durability replicated, replicationFactor 2)', function () {
  this.timeout(180_000);
  let cluster: RoutingCluster;

  before(async () => {
    cluster = await startRoutingCluster(['f1', 'f2', 'f3']);
  });
  after(async () => {
    await cluster?.stop();
  });

  it(`kill -9 one of 3 under ${RATE_PER_SEC} increments/s offered over ${COUNTERS} counters for ${LOAD_MS / 1000} s: every counter >= acked and <= acked + failed`, async () => {
    const keys = Array.from({ length: COUNTERS }, (_, i) => `fo-${i}`);
    const startedAt = performance.now();
    const load = runIncrements(cluster, keys, RATE_PER_SEC);
    await new Promise((r) => setTimeout(r, KILL_AT_MS));
    await cluster.kill(cluster.node('f2'));
    await cluster.waitRing('failover', ['f1', 'f3']);
    await new Promise((r) => setTimeout(r, Math.max(0, LOAD_MS - (performance.now() - startedAt))));
    await load.stop();
    const elapsedS = (performance.now() - startedAt) / 1000;
    const { tally } = load;
    const acked = [...tally.acked.values()].reduce((a, b) => a + b, 0);
    const failed = [...tally.failed.values()].reduce((a, b) => a + b, 0);
    console.log(
      `      failover load: ${tally.sent} increments offered over ${COUNTERS} counters in ${elapsedS.toFixed(1)} s, ${acked} acknowledged ` +
        `(${Math.round(acked / elapsedS)}/s achieved of ${RATE_PER_SEC}/s offered), ${failed} failed ${JSON.stringify([...tally.errorsByName])}`,
    );
    assert.ok(acked > tally.sent / 2, `most increments acknowledged: ${acked} of ${tally.sent}; errors ${JSON.stringify([...tally.errorsByName])}`);
    const bad = await checkCounts(cluster, keys, tally);
    assert.deepEqual(bad, [], `counters outside [acked, acked + failed]; errors ${JSON.stringify([...tally.errorsByName])}`);
  });
});
