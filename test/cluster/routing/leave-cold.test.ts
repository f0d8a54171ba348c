import { strict as assert } from 'node:assert';
import { buildRing, ownerOf } from '../../../cluster/placement/ring.js';
import { readCount } from './support/increments.js';
import { startRoutingCluster, type AskResult, type RoutingCluster } from '../../../testing/routing/routing-cluster.js';

/**
 * Handoff of actors that are not in memory, with `replicationFactor` 1 (no replica anywhere: what the owner holds is
 * the only copy), and of actors' sessions. Counter `i` gets `1 + i % 3` increments; each increment also counts in
 * the actor's session (`sessionIncs`), which only a handoff that carries the session keeps.
 */
const COUNTERS = 150;
const PASSIVATION_MS = 1_000;

function incsFor(i: number): number {
  return 1 + (i % 3);
}

/** Sends every counter its increments (one at a time per key, 32 keys at once), entering through `entry`. */
async function writeCounters(cluster: RoutingCluster, keys: readonly string[]): Promise<void> {
  let next = 0;
  const failures: AskResult[] = [];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) {
        const i = next++;
        const entry = cluster.entryNodes()[i % cluster.entryNodes().length]!;
        for (let n = 0; n < incsFor(i); n++) {
          const r = await cluster.ask(entry, keys[i]!, 'inc');
          if (!r.ok) failures.push(r);
        }
      }
    }),
  );
  assert.deepEqual(failures, [], 'write phase: every increment acknowledged');
}

describe('cluster/routing: handoff of cold actors and sessions (node processes, replicationFactor 1)', function () {
  this.timeout(120_000);
  let cluster: RoutingCluster | undefined;

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it(`graceful leave of 1 of 3 after its ${COUNTERS / 3 | 0}-ish counters passivated: every counter and session intact on the survivors`, async () => {
    cluster = await startRoutingCluster(['c1', 'c2', 'c3'], { replicationFactor: 1, durability: 'local', passivationIdleMs: PASSIVATION_MS });
    const keys = Array.from({ length: COUNTERS }, (_, i) => `cold-${i}`);
    await writeCounters(cluster, keys);
    const ring = buildRing(['c1', 'c2', 'c3']);
    const onLeaver = keys.filter((k) => ownerOf(ring, 'counter', k) === 'c2');
    assert.ok(onLeaver.length > 10, `c2 owns a fair share of the counters: ${onLeaver.length}`);
    // Cold: every actor on the leaver passivated (state only in its LMDB).
    await cluster.waitStatus('passivation before leave', cluster.node('c2'), (s) => s.active === 0, 20_000);
    await cluster.leave(cluster.node('c2'));
    await cluster.waitRing('after leave', ['c1', 'c3']);
    const wrong: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const count = await readCount(cluster, keys[i]!);
      if (count !== incsFor(i)) wrong.push(`${keys[i]}: count ${count}, expected ${incsFor(i)}`);
    }
    assert.deepEqual(wrong, [], 'every counter holds its acknowledged increments after the leave');
    // Sessions: the next increment of each counter the leaver owned continues its session's tally.
    const sessions: string[] = [];
    for (const key of onLeaver) {
      const i = keys.indexOf(key);
      const r = await cluster.ask(cluster.entryNodes()[i % 2]!, key, 'inc');
      if (!r.ok || r.sessionIncs !== incsFor(i) + 1) sessions.push(`${key}: ${JSON.stringify(r)}, expected sessionIncs ${incsFor(i) + 1}`);
    }
    assert.deepEqual(sessions, [], 'sessions moved with their actors');
  });

  it('join of a 3rd node: the actors it takes over keep their state and their sessions (claimed with the session)', async () => {
    cluster = await startRoutingCluster(['s1', 's2'], { replicationFactor: 1, durability: 'local' });
    const keys = Array.from({ length: COUNTERS }, (_, i) => `sess-${i}`);
    await writeCounters(cluster, keys);
    await cluster.spawn('s3');
    await cluster.waitRing('after join', ['s1', 's2', 's3']);
    const moved = keys.filter((k) => ownerOf(buildRing(['s1', 's2', 's3']), 'counter', k) === 's3');
    assert.ok(moved.length > 10, `s3 takes a fair share of the counters: ${moved.length}`);
    const wrong: string[] = [];
    for (const key of moved) {
      const i = keys.indexOf(key);
      const r = await cluster.ask(cluster.node('s3'), key, 'inc');
      if (!r.ok || r.count !== incsFor(i) + 1 || r.sessionIncs !== incsFor(i) + 1 || !r.activation!.startsWith('s3#')) {
        wrong.push(`${key}: ${JSON.stringify(r)}, expected count and sessionIncs ${incsFor(i) + 1} on s3`);
      }
    }
    assert.deepEqual(wrong, [], 'moved counters continue their state and session on the new owner');
  });
});
