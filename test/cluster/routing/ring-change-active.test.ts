import { strict as assert } from 'node:assert';
import { startRoutingCluster, type RoutingCluster } from '../../../testing/routing/routing-cluster.js';

/**
 * An actor that is active on its owner when the ring changes, and whose owner stays the same, goes on handling
 * messages through the change. Its writes after the change must survive its passivation: found by the `flap`
 * nemesis scenario (acked fixes lost after a 2|1 partition healed), where a claim after the change started a new
 * ownership term in the store (a snapshot a million seqs up) under the live activation, whose later journal entries
 * fell below that snapshot and were never read again.
 */
describe('cluster/routing: an actor active across a ring change that keeps its owner (3 → 4 node processes)', function () {
  this.timeout(90_000);
  let cluster: RoutingCluster;

  before(async () => {
    cluster = await startRoutingCluster(['k1', 'k2', 'k3'], { passivationIdleMs: 1_000 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps the activation without a claim, and every acknowledged increment made after the change once passivated and read back', async () => {
    await Promise.all(cluster.nodes.map((n) => cluster.waitStatus('ring coverage', n, (s) => s.covered)));
    const keys = Array.from({ length: 40 }, (_, i) => `kept-${i}`);
    const entry = cluster.nodes[0]!;
    const owner = async (key: string) => (await cluster.command<{ owner: string }>(entry, { cmd: 'owner', key })).owner;
    for (const key of keys) assert.equal((await cluster.ask(entry, key, 'inc')).ok, true, `${key}: first increment`);
    const before = new Map(await Promise.all(keys.map(async (k) => [k, await owner(k)] as const)));

    // Keep the actors active (reads write nothing) while a fourth node joins and the ring changes.
    let touching = true;
    const touch = (async () => {
      while (touching) {
        await Promise.all(keys.map((k) => cluster.ask(entry, k, 'get')));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const claimsBefore = await Promise.all(cluster.nodes.map(async (n) => (await cluster.status(n)).claimsStarted));
    await cluster.spawn('k4');
    await cluster.waitRing('k4 joined', ['k1', 'k2', 'k3', 'k4']);
    const stayed = [];
    for (const k of keys) if ((await owner(k)) === before.get(k)) stayed.push(k);
    assert.ok(stayed.length >= 10, `keys whose owner did not change: ${stayed.length} of ${keys.length}`);
    for (const key of stayed) {
      for (let i = 0; i < 2; i++) assert.equal((await cluster.ask(entry, key, 'inc')).ok, true, `${key}: increment after the change`);
    }
    touching = false;
    await touch;
    // The owner did not change, so neither did the activation: no claim, no new ownership term.
    const claimsAfter = await Promise.all(cluster.nodes.slice(0, 3).map(async (n) => (await cluster.status(n)).claimsStarted));
    assert.deepEqual(claimsAfter, claimsBefore, 'per-actor claims begun on the first three nodes across the join');

    // Passivated everywhere (snapshot written, memory dropped), then read back from the store.
    await Promise.all(cluster.live().map((n) => cluster.waitStatus('actors passivated', n, (s) => s.active === 0)));
    const counts = await Promise.all(stayed.map(async (k) => [k, (await cluster.ask(entry, k, 'get')).count] as const));
    assert.deepEqual(counts.filter(([, c]) => c !== 3), [], 'every key holds its 3 acknowledged increments');
  });
});
