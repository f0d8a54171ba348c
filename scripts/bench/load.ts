import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { runLoad, type LoadReport } from '../loadgen/run.js';
import { spawnNode, type LocalNode } from '../sim/local-cluster.js';
import { startNatsIfInstalled, type LocalNats } from '../sim/nats.js';
import type { BenchOptions, BenchResult } from './harness.js';
import { topFunctions } from './cpu-profile.js';

/** Set to a folder to CPU-profile every node (`node --cpu-prof`) and print where the busiest node's time went. */
const PROFILE_ENV = 'QUARRY_BENCH_CPU_PROFILE_DIR';

/** `quarry bench load` takes one more option than the other suites: how many load worker processes to use. */
export interface LoadBenchOptions extends BenchOptions {
  workers?: number;
}

/** The headline run of issue 9: 20k players with open streams, one fix every 10 s each, 60 s, 3 nodes. */
const DEFAULTS = { players: 20_000, nodes: 3, durationS: 60, fixIntervalMs: 10_000, rampUpS: 20 } as const;
/** Rates tried (as fix intervals) for `maxFixesPerSecAtP99Under50Ms`, after the headline run. */
const STEP_INTERVALS_MS = [5_000, 2_500] as const;
const STEP_DURATION_S = 20;

export async function run(options: LoadBenchOptions): Promise<BenchResult> {
  const players = options.players ?? DEFAULTS.players;
  const nodeCount = options.nodes ?? DEFAULTS.nodes;
  const durationS = options.durationS ?? DEFAULTS.durationS;
  const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
  const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
  const hunt = loadHuntFile(config.hunt.file);
  const dir = mkdtempSync(join(tmpdir(), 'quarry-bench-load-'));
  const nodes: LocalNode[] = [];
  const notes: string[] = [];
  let nats: LocalNats | undefined;
  try {
    // Several nodes deliver events through NATS: a player's stream and its actor may live on different nodes.
    nats = nodeCount > 1 ? await startNatsIfInstalled(join(dir, 'nats')) : undefined;
    if (nodeCount > 1 && nats === undefined) notes.push('no nats-server: events of actors on other nodes never reach a player (fix-to-event and gaps are not meaningful)');
    const profileDir = process.env[PROFILE_ENV];
    for (let i = 0; i < nodeCount; i++) {
      nodes.push(
        await spawnNode({
          env,
          nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `load-${i + 1}`)}`] : [],
          settings: {
            'node.id': `load-${i + 1}`,
            'node.grpcPort': 0,
            'node.httpPort': 0,
            'node.gossipPort': 0,
            'node.dataDir': join(dir, `n${i + 1}`),
            'ops.logLevel': 'warn',
            ...(nats ? { 'notify.backend': 'nats', 'notify.natsUrl': nats.url } : {}),
            ...(i > 0 ? { 'node.seeds': nodes[0]!.ready.gossipAddress } : {}),
          },
        }),
      );
    }
    const targets = nodes.map((n) => ({ grpc: n.ready.grpcAddress, http: n.ready.httpUrl }));
    const cpuPids = { nodes: nodes.map((n) => n.process.pid!), nats: nats?.pid };
    const base = { targets, beacons: hunt.beacons, tokenSecret: config.gateway.tokenSecret, operatorToken: config.ops.operatorToken, seed: 7, workers: options.workers, cpuPids, progress: !options.json };
    const headline = await runLoad({ ...base, players, fixIntervalMs: DEFAULTS.fixIntervalMs, durationS, rampUpS: DEFAULTS.rampUpS, playerPrefix: 'h' });
    notes.push(`headline: ${JSON.stringify(summary(headline))}`);

    let best = headline.fixToEventP99Ms !== undefined && headline.fixToEventP99Ms <= 50 ? headline.fixesPerSec : 0;
    for (const [i, interval] of STEP_INTERVALS_MS.entries()) {
      if (best !== headline.fixesPerSec && i === 0 && best === 0) break;
      const step = await runLoad({ ...base, players, fixIntervalMs: interval, durationS: STEP_DURATION_S, rampUpS: 10, playerPrefix: `s${i}-` });
      notes.push(`step fixIntervalMs=${interval}: ${JSON.stringify(summary(step))}`);
      if (step.fixToEventP99Ms === undefined || step.fixToEventP99Ms > 50 || step.lostAckedFixes > 0) break;
      best = Math.max(best, step.fixesPerSec);
    }

    const figures: Record<string, number> = {
      fixesPerSec: headline.fixesPerSec,
      lostAckedFixes: headline.lostAckedFixes,
      eventGaps: headline.eventGaps,
      rssMbMax: Math.round(Math.max(0, ...headline.nodes.map((n) => n.rssMbMax))),
      eventLoopLagP99Ms: Math.max(0, ...headline.nodes.map((n) => n.eventLoopLagP99MsMax)),
      maxFixesPerSecAtP99Under50Ms: best,
    };
    if (headline.fixToEventP50Ms !== undefined) figures.fixToEventP50Ms = round(headline.fixToEventP50Ms);
    if (headline.fixToEventP99Ms !== undefined) figures.fixToEventP99Ms = round(headline.fixToEventP99Ms);
    else notes.push('fixToEvent*: no award event was matched to its fix in the headline run');
    const failed = Object.values(headline.fixesFailedByStatus).reduce((a, b) => a + b, 0);
    figures.fixesFailed = failed;
    figures.unverifiedPlayers = headline.unverifiedPlayers;
    // Where the CPU went in the headline window: the nodes together (each in the notes), the load workers, NATS.
    figures['cpuCores.nodes'] = round(headline.cpuCores.nodes.reduce<number>((sum, c) => sum + (c ?? 0), 0));
    figures['cpuCores.load'] = headline.cpuCores.load;
    if (headline.cpuCores.nats != null) figures['cpuCores.nats'] = headline.cpuCores.nats;
    notes.push(`headline cpuCores per node: ${JSON.stringify(headline.cpuCores.nodes)}; load workers: ${headline.workers}`);
    return { figures, notes };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    nats?.stop();
    rmSync(dir, { recursive: true, force: true });
    const profileDir = process.env[PROFILE_ENV];
    if (profileDir) {
      for (let i = 0; i < nodeCount; i++) {
        try {
          console.error(`bench load: CPU profile of load-${i + 1} (self time): ${JSON.stringify(topFunctions(join(profileDir, `load-${i + 1}`)))}`);
        } catch (err) {
          console.error(`bench load: no CPU profile for load-${i + 1}: ${(err as Error).message}`);
        }
      }
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function summary(r: LoadReport): Record<string, unknown> {
  return { fixesPerSec: r.fixesPerSec, acked: r.fixesAcked, failed: r.fixesFailedByStatus, why: r.firstFailureDetails, p50: r.fixToEventP50Ms, p99: r.fixToEventP99Ms, ackP99: r.ackP99Ms, gaps: r.eventGaps, lost: r.lostAckedFixes, unverified: r.unverifiedPlayers, cpuCores: r.cpuCores, streamErrors: r.streamErrors, nodes: r.nodes };
}
