import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { failoverFigures } from '../loadgen/failover.js';
import { runLoad } from '../loadgen/run.js';
import { spawnNode, type LocalNode } from '../sim/local-cluster.js';
import { startNatsIfInstalled, type LocalNats } from '../sim/nats.js';
import { freeTcpPort, freeUdpPort } from '../../testing/ports.js';
import { headlineLoad } from './load.js';
import type { BenchOptions, BenchResult } from './harness.js';

/**
 * `quarry bench chaos`: the headline load of `bench load` on a replicated cluster, with one node killed (SIGKILL)
 * during the measured window and restarted on the same data dir, id and addresses a little later. Its players fail
 * over to the other nodes (scripts/loadgen/failover.ts); the figures say what they noticed: acked fixes lost, INTERNAL
 * statuses, how long fixes failed and how long until every player that failed was served again.
 */

/** The headline run of `bench load`: 20k players with open streams, one fix every 10 s each, 3 nodes. */
const DEFAULTS = { players: 20_000, nodes: 3, durationS: 60, fixIntervalMs: 10_000, rampUpS: 30 } as const;
/** How far into the measured window the node is killed (earlier when the window is short: a third of it). @default 20 s */
const KILL_AFTER_S = 20;
/** How long the killed node stays down before it is started again. @default 10 s */
const RESTART_AFTER_MS = 10_000;
/** The figures' variant: what was done to the cluster. */
const FAULT = 'kill9';

/** As `bench load`: one more option than the other suites, how many load worker processes to use. */
export interface ChaosBenchOptions extends BenchOptions {
  workers?: number;
}

export async function run(options: ChaosBenchOptions): Promise<BenchResult> {
  const players = options.players ?? DEFAULTS.players;
  const nodeCount = options.nodes ?? DEFAULTS.nodes;
  const durationS = options.durationS ?? DEFAULTS.durationS;
  // Keep-majority: a node serves while it sees a strict majority, so two nodes less one serve nothing at all.
  if (!Number.isInteger(nodeCount) || nodeCount < 3) throw new RangeError(`--nodes must be an integer of at least 3 for chaos (one is killed, the rest must keep a majority), got ${nodeCount}`);
  const killAfterS = Math.min(KILL_AFTER_S, Math.floor(durationS / 3));
  if (!(killAfterS >= 1 && killAfterS * 1000 + RESTART_AFTER_MS < durationS * 1000)) throw new RangeError(`--duration-s must leave room for the kill and the restart ${RESTART_AFTER_MS / 1000} s later, got ${durationS}`);

  const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
  const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
  const hunt = loadHuntFile(config.hunt.file);
  const dir = mkdtempSync(join(tmpdir(), 'quarry-bench-chaos-'));
  const nodes: LocalNode[] = [];
  const notes: string[] = [];
  let nats: LocalNats | undefined;
  let restart: Promise<void> | undefined;
  try {
    nats = await startNatsIfInstalled(join(dir, 'nats'));
    if (nats === undefined) notes.push('no nats-server: events of actors on other nodes never reach a player (stream figures are not meaningful)');
    // Fixed ports chosen up front: the restarted node comes back at the addresses in every player's list.
    const settings: Array<Record<string, string | number | boolean>> = [];
    for (let i = 0; i < nodeCount; i++) {
      const [grpcPort, httpPort, gossipPort] = [await freeTcpPort(), await freeTcpPort(), await freeUdpPort()];
      settings.push({
        'node.id': `chaos-${i + 1}`,
        'node.grpcPort': grpcPort,
        'node.httpPort': httpPort,
        'node.gossipPort': gossipPort,
        'node.dataDir': join(dir, `n${i + 1}`),
        'ops.logLevel': 'warn',
        'cluster.durability': 'replicated',
        'cluster.replicationFactor': 2,
        ...(nats ? { 'notify.backend': 'nats', 'notify.natsUrl': nats.url } : {}),
        ...(i > 0 ? { 'node.seeds': `127.0.0.1:${settings[0]!['node.gossipPort']}` } : {}),
      });
    }
    // QUARRY_BENCH_CPU_PROFILE_DIR (as in bench load): every node, the first run of the victim included, is CPU-profiled.
    const profileDir = process.env['QUARRY_BENCH_CPU_PROFILE_DIR'];
    const nodeArgs = (i: number) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `chaos-${i + 1}`)}`] : []);
    for (const [i, s] of settings.entries()) nodes.push(await spawnNode({ env, settings: s, nodeArgs: nodeArgs(i) }));

    // Not the seed: it is the one the others (and the restarted node) join through.
    const victim = nodeCount - 1;
    let killAtMs: number | undefined;
    let restartReadyMs: number | undefined;
    const fault = (windowAtMs: number) => {
      restart = (async () => {
        await sleep(windowAtMs + killAfterS * 1000 - Date.now());
        killAtMs = Date.now();
        if (process.env['QUARRY_BENCH_CPU_PROFILE_DIR']) process.stderr.write(`bench chaos: kill at ${new Date(killAtMs).toISOString()}\n`);
        await nodes[victim]!.kill();
        await sleep(killAtMs + RESTART_AFTER_MS - Date.now());
        nodes[victim] = await spawnNode({ env, settings: settings[victim]! });
        restartReadyMs = Date.now() - killAtMs;
      })();
      // Seen after the run; until then the load goes on whatever happens here.
      restart.catch(() => {});
    };

    const report = await runLoad({
      ...headlineLoad(nodes, config, hunt, options),
      players,
      fixIntervalMs: DEFAULTS.fixIntervalMs,
      durationS,
      rampUpS: DEFAULTS.rampUpS,
      playerPrefix: 'c',
      onWindowOpen: fault,
      failuresSinceMs: () => killAtMs,
    });
    try {
      await restart;
      notes.push(`${settings[victim]!['node.id']} killed ${killAfterS} s into the window, started again after ${RESTART_AFTER_MS} ms, ready ${restartReadyMs} ms after the kill`);
    } catch (err) {
      notes.push(`${settings[victim]!['node.id']}: the kill or the restart failed: ${(err as Error).message}`);
    }

    const figures: Record<string, number> = {
      fixesPerSec: report.fixesPerSec,
      fixesFailed: Object.values(report.fixesFailedByStatus).reduce((a, b) => a + b, 0),
      unverifiedPlayers: report.unverifiedPlayers,
      [`lostAckedFixes.${FAULT}`]: report.lostAckedFixes,
      [`internalErrors.${FAULT}`]: report.internalErrors,
    };
    notes.push(`fixes failed by status: ${JSON.stringify(report.fixesFailedByStatus)}; first details: ${JSON.stringify(report.firstFailureDetails)}`);
    notes.push(`event streams failed by status: ${JSON.stringify(report.streamFailuresByStatus)}; first details: ${JSON.stringify(report.firstStreamFailureDetails)}`);
    notes.push(`failures by message: ${JSON.stringify(report.failuresByDetails)}`);
    if (report.failover === undefined) {
      notes.push(`errorWindowMs.${FAULT}, recoveryMs.${FAULT}: the node was never killed`);
    } else {
      const f = failoverFigures(report.failover);
      // No failed fix after the kill is an error window of nothing, not a missing measurement.
      figures[`errorWindowMs.${FAULT}`] = f.errorWindowMs ?? 0;
      if (f.recoveryMs !== undefined) figures[`recoveryMs.${FAULT}`] = f.recoveryMs;
      else notes.push(`recoveryMs.${FAULT}: ${f.unrecovered} of ${report.failover.playersFailed} players that failed after the kill were not acked again by the end of the window`);
      notes.push(`after the kill: ${report.failover.playersFailed} players had a fix fail (${report.failover.playersIdle} of them sent none since, left out of recoveryMs); first failure ${rel(report.failover.firstFailureAtMs, killAtMs)} ms, last ${rel(report.failover.lastFailureAtMs, killAtMs)} ms after the kill; failed fixes per second since: ${JSON.stringify(report.failover.failuresBySecond)}`);
    }
    notes.push(`acked ${report.fixesAcked} of ${report.fixesSent} fixes sent, ${report.fixesPaused} ticks held back, ${report.eventsReceived} events, ${report.eventGaps} gaps, fix-to-event p99 ${report.fixToEventP99Ms} ms, ack p99 ${report.ackP99Ms} ms, ${report.workers} load workers`);
    return { figures, notes };
  } finally {
    await restart?.catch(() => {});
    await Promise.all(nodes.map((n) => n.stop()));
    nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rel(atMs: number | undefined, fromMs: number | undefined): string {
  return atMs === undefined || fromMs === undefined ? '-' : String(atMs - fromMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
