/**
 * `quarry bench cluster`: 3 real node processes (testing/routing/counter-node.ts, each a whole node from startNode) on loopback, durability
 * replicated, replicationFactor 2. Asks are issued inside a node (no parent-process hop), closed loop.
 */
import { buildRing, ownerOf } from '../../cluster/placement/ring.js';
import { RoutingCluster } from '../../testing/routing/routing-cluster.js';
import type { BenchOptions, BenchResult } from './harness.js';

const THROUGHPUT_MS = 3_000;
const THROUGHPUT_CONCURRENCY = 256;
const LATENCY_CONCURRENCY = 16;
const HANDOFF_ACTORS = 3_000;

interface Load {
  done: number;
  errors: number;
  perSec: number;
  p99Ms: number;
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  const cluster = new RoutingCluster({ durability: 'replicated', replicationFactor: 2 });
  try {
    for (const id of ['b1', 'b2', 'b3']) await cluster.spawn(id);
    await cluster.waitRing('start', ['b1', 'b2', 'b3']);
    const b1 = cluster.node('b1');
    const load = (spec: Record<string, unknown>) => cluster.command<Load>(b1, { cmd: 'load', prefix: 'w', keys: 600, op: 'get', ...spec });
    await load({ concurrency: 64, durationMs: 1_500, where: 'any' });
    const remote = await load({ concurrency: THROUGHPUT_CONCURRENCY, durationMs: THROUGHPUT_MS, where: 'remote' });
    const local = await load({ concurrency: THROUGHPUT_CONCURRENCY, durationMs: THROUGHPUT_MS, where: 'local' });
    figures.remoteAskPerSec = Math.round(remote.perSec);
    figures.localAskPerSec = Math.round(local.perSec);
    const lat = await load({ concurrency: LATENCY_CONCURRENCY, durationMs: 2_000, where: 'remote' });
    figures.remoteAskP99Ms = round2(lat.p99Ms);
    notes.push(`remote ${remote.done} asks / ${remote.errors} errors, local ${local.done} / ${local.errors}; p99 at concurrency ${LATENCY_CONCURRENCY}`);

    // Failover: kill b3, then ask a key it owned (through b1) until one succeeds.
    const ring3 = buildRing(['b1', 'b2', 'b3']);
    let moved = '';
    for (let i = 0; moved === ''; i++) if (ownerOf(ring3, 'counter', `fo${i}`) === 'b3') moved = `fo${i}`;
    await cluster.ask(b1, moved, 'inc');
    const killedAt = Date.now();
    await cluster.kill(cluster.node('b3'));
    for (;;) {
      const r = await cluster.ask(b1, moved, 'get', 2_000);
      if (r.ok) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    figures.failoverMs = Date.now() - killedAt;
    await cluster.waitRing('after kill', ['b1', 'b2']);

    // Join under load: HANDOFF_ACTORS counters with state on b1/b2, asks running on b1 while b4 joins.
    await cluster.command(b1, { cmd: 'load', prefix: 'h', keys: HANDOFF_ACTORS, op: 'inc', concurrency: 128, durationMs: 4_000, where: 'any' });
    const during = cluster.command<Load>(b1, { cmd: 'load', prefix: 'w', keys: 600, op: 'get', concurrency: LATENCY_CONCURRENCY, durationMs: 6_000, where: 'any' });
    const joinAt = performance.now();
    const b4 = await cluster.spawn('b4');
    await cluster.waitRing('after join', ['b1', 'b2', 'b4']);
    const ringAt = performance.now();
    const ring = buildRing(['b1', 'b2', 'b4']);
    const keys = Array.from({ length: HANDOFF_ACTORS }, (_, i) => `h${i}`).filter((k) => ownerOf(ring, 'counter', k) === 'b4');
    const touched = await cluster.command<{ ms: number; errors: number }>(b4, { cmd: 'touch', keys });
    const doneAt = performance.now();
    figures.handoffMsPer10kActors = Math.round(((doneAt - joinAt) * 10_000) / Math.max(1, keys.length));
    // The same without the joiner's process start and membership convergence (about 1 s of fixed cost).
    figures['handoffMsPer10kActors.afterRing'] = Math.round(((doneAt - ringAt) * 10_000) / Math.max(1, keys.length));
    const stall = await during;
    figures.joinStallP99Ms = round2(stall.p99Ms);
    notes.push(`handoff: ${keys.length} of ${HANDOFF_ACTORS} actors moved to the joiner, claimed ahead on the old owners' hints or on first ask (${Math.round(touched.ms)} ms after the rings agreed, ${touched.errors} retried asks); join stall from ${stall.done} asks, ${stall.errors} errors`);
  } catch (err) {
    notes.push(`aborted: ${(err as Error).message}`);
  } finally {
    await cluster.stop();
  }
  return { figures, notes };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
