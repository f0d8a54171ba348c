/**
 * `quarry bench membership`: convergence and failure detection (simulated and real), false suspicions under
 * event-loop stalls (simulated hour), ring movement and balance, gossip bandwidth.
 */
import { lanDefaults, worstCaseDetectionMs } from '../../cluster/membership/config.js';
import { simCluster } from '../../cluster/membership/simulation.js';
import { buildRing, ownerOf, shares } from '../../cluster/placement/ring.js';
import { startCluster, type Cluster } from '../../testing/cluster.js';
import type { BenchOptions, BenchResult } from './harness.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Simulated ms from a fleet start (all join through one seed at once) until every node sees all alive. */
async function simConverge(n: number, seeds: number[]): Promise<number> {
  const out: number[] = [];
  for (const seed of seeds) {
    const c = simCluster({ n, seed, config: lanDefaults() });
    const ms = c.scheduler.runUntilTrue(() => c.converged(), 60_000, 1);
    await c.stop();
    if (ms === undefined) throw new Error(`sim${n} seed ${seed}: no convergence within 60 simulated s`);
    out.push(ms);
  }
  return median(out);
}

/** One node stalls 300 ms every 5 s (random phase) for one simulated hour in a 10-node LAN cluster. */
async function falseSuspicions(notes: string[]): Promise<number> {
  const c = simCluster({ n: 10, seed: 77, config: lanDefaults() });
  c.scheduler.runUntilTrue(() => c.converged(), 60_000, 1);
  const stalled = c.nodes[3]!;
  let deaths = 0;
  for (const n of c.nodes) n.membership.events.on((e) => void (e.type === 'dead' && deaths++));
  const before = c.nodes.reduce((s, n) => s + n.membership.metrics().suspicionsRaised, 0);
  const hourMs = 3_600_000;
  const end = c.scheduler.now + hourMs;
  const stallAt = (t: number): void => {
    if (t >= end) return;
    c.scheduler.at(t, 0, 'driver', () => {
      c.scheduler.stall(stalled.address, 300);
      stallAt(t + 5_000);
    });
  };
  stallAt(c.scheduler.now + Math.floor(c.scheduler.random() * 5_000));
  c.scheduler.runUntil(end);
  const raised = c.nodes.reduce((s, n) => s + n.membership.metrics().suspicionsRaised, 0) - before;
  notes.push(`falseSuspicionsPerHour: simulated hour, 10 nodes, LAN preset, ${stalled.id} stalled 300 ms every 5 s; false deaths: ${deaths}; refutations by the stalled node: ${stalled.membership.metrics().suspicionsRefuted}`);
  await c.stop();
  return raised;
}

/** Steady-state bytes each node sends per second (10 nodes, LAN preset, 120 simulated s after convergence). */
async function gossipBandwidth(): Promise<number> {
  const c = simCluster({ n: 10, seed: 5, config: lanDefaults() });
  c.scheduler.runUntilTrue(() => c.converged(), 60_000, 1);
  c.scheduler.runFor(20_000);
  const before = [...c.network.bytesSent.values()].reduce((a, b) => a + b, 0);
  c.scheduler.runFor(120_000);
  const after = [...c.network.bytesSent.values()].reduce((a, b) => a + b, 0);
  await c.stop();
  return (after - before) / 10 / 120;
}

function ringFigures(): { moved: number; stddevPct: number } {
  const keys = Array.from({ length: 100_000 }, (_, i) => `player-${i}`);
  const movedFractions: number[] = [];
  const stddevs: number[] = [];
  for (let trial = 0; trial < 5; trial++) {
    const members = Array.from({ length: 10 }, (_, i) => `node-${trial}-${i}`);
    const before = buildRing(members);
    const after = buildRing([...members, `node-${trial}-new`]);
    let moved = 0;
    for (const k of keys) if (ownerOf(before, 'player', k) !== ownerOf(after, 'player', k)) moved++;
    movedFractions.push(moved / keys.length);
    const s = [...shares(before).values()].map((x) => x * members.length);
    stddevs.push(Math.sqrt(s.reduce((acc, x) => acc + (x - 1) ** 2, 0) / s.length) * 100);
  }
  return { moved: median(movedFractions), stddevPct: median(stddevs) };
}

/** Real processes, LAN preset: convergence from the last process listening, and detection of a kill -9. */
async function realFigures(notes: string[]): Promise<{ convergeMs: number; detectMs: number }> {
  const converges: number[] = [];
  const detects: number[] = [];
  for (let trial = 0; trial < 3; trial++) {
    let cluster: Cluster | undefined;
    try {
      cluster = await startCluster(5, { preset: 'lan', idPrefix: `t${trial}n` });
      const c = cluster;
      const listenedAt = Math.max(...c.nodes.map((n) => Number(n.lines.find((l) => l.event === 'listening')!.time)));
      const lastAlive = Math.max(...c.nodes.flatMap((n) => n.lines.filter((l) => l.event === 'member' && l.state === 'alive').map((l) => Number(l.time))));
      converges.push(lastAlive - listenedAt);
      const victim = c.nodes[4]!;
      const killedAt = Date.now();
      await c.kill(victim);
      await c.waitFor('detect', () => c.live().every((n) => n.view.get(victim.id) === 'dead'), 30_000, () => c.live().map((n) => `${n.id}:${n.view.get(victim.id)}`).join(' '));
      const deadAt = Math.max(...c.live().map((n) => Number(n.lines.find((l) => l.event === 'member' && l.member === victim.id && l.state === 'dead')!.time)));
      detects.push(deadAt - killedAt);
    } finally {
      await cluster?.stop();
    }
  }
  notes.push(`real5 (LAN preset, 3 trials): convergeMs ${converges.join('/')}, detectMs ${detects.join('/')} (medians reported; worst-case formula for N=5: ${worstCaseDetectionMs(lanDefaults(), 5)} ms)`);
  return { convergeMs: median(converges), detectMs: median(detects) };
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  figures['convergeMs.sim10'] = await simConverge(10, [1, 2, 3, 4, 5]);
  figures['convergeMs.sim50'] = await simConverge(50, [1, 2, 3]);
  notes.push('convergeMs.sim*: simulated ms (1-2 ms one-way latency), fleet start through one seed, median of seeds');
  const real = await realFigures(notes);
  figures['convergeMs.real5'] = real.convergeMs;
  figures['detectMs.real5'] = real.detectMs;
  figures['falseSuspicionsPerHour'] = await falseSuspicions(notes);
  const ring = ringFigures();
  figures['ringMovedFractionOnJoin'] = round(ring.moved, 4);
  figures['ringShareStddevPct'] = round(ring.stddevPct, 2);
  notes.push(`ring: 10 -> 11 members, 1024 vnodes each, 100k keys; ideal moved fraction 1/11 = ${round(1 / 11, 4)}`);
  figures['gossipBytesPerNodePerSec'] = Math.round(await gossipBandwidth());
  notes.push('gossipBytesPerNodePerSec: simulated 10-node LAN cluster, steady state, HMAC-sealed datagrams');
  if (figures['detectMs.real5']! > 3_000) notes.push(`target missed: detectMs.real5 ${figures['detectMs.real5']} > 3000`);
  if (figures['convergeMs.sim50']! > 2_000) notes.push(`target missed: convergeMs.sim50 ${figures['convergeMs.sim50']} > 2000`);
  if (Math.abs(ring.moved * 11 - 1) > 0.1) notes.push(`target missed: moved fraction ${ring.moved} not within 10 % of 1/11`);
  return { figures, notes };
}
