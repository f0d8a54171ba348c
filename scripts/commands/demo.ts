import type { Command } from 'commander';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import type { LoadedConfig } from '../../ops/config/index.js';
import { NodeExitedError, spawnNode, type LocalNode } from '../sim/local-cluster.js';
import { runLoad } from '../loadgen/run.js';
import type { WorkerProgress } from '../loadgen/protocol.js';
import { startNatsIfInstalled, type LocalNats } from '../sim/nats.js';
import { integerAtLeast, loadedOrExit, USAGE_EXIT_CODE, withConfigOptions } from './options.js';

/** The port settings of a node, in the order `--base-port` lays them out: node i gets base + 3i + this index. */
const PORT_KEYS = ['node.grpcPort', 'node.httpPort', 'node.gossipPort'] as const;

/** On a terminal the status line is rewritten in place every second; into a file or pipe, one line this often. @default 30 s */
const PROGRESS_LINE_EVERY_S = 30;

interface DemoOptions {
  nodes: number;
  players: number;
  fixIntervalMs: number;
  dataDir: string;
  basePort?: number;
  config?: string;
  set?: Record<string, string>;
}

/**
 * The three ports of the demo's node `i` (0-based). A port set by the user (--set, file or environment) is node 1's
 * and node i adds i; otherwise `--base-port P` gives P + 3i, P + 3i + 1, P + 3i + 2; otherwise the settings' defaults
 * (7100, 8080, 7946) + i. Port 0 stays 0 (any free port) for every node.
 */
export function demoPorts(loaded: Pick<LoadedConfig, 'values' | 'sources'>, i: number, basePort: number | undefined): Record<(typeof PORT_KEYS)[number], number> {
  const out = {} as Record<(typeof PORT_KEYS)[number], number>;
  PORT_KEYS.forEach((key, k) => {
    const value = loaded.values[key] as number;
    if (loaded.sources[key] === 'default' && basePort !== undefined) out[key] = basePort + 3 * i + k;
    else out[key] = value === 0 ? 0 : value + i;
  });
  return out;
}

/** The demo's status line: how long it runs and what the simulated players saw, e.g. for the terminal's last line. */
export function demoProgressLine(elapsedS: number, players: number, p: WorkerProgress): string {
  const h = Math.floor(elapsedS / 3600);
  const m = Math.floor((elapsedS % 3600) / 60);
  const s = elapsedS % 60;
  const up = h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
  const p99 = p.fixToEventP99Ms === undefined ? '-' : `${p.fixToEventP99Ms.toFixed(1)} ms`;
  return `demo up ${up} · ${players} players · fixes ${p.fixesSent} sent, ${p.fixesAcked} acked · events ${p.eventsReceived} (gaps ${p.eventGaps}) · fix→event p99 ${p99}`;
}

export function registerDemo(program: Command): void {
  withConfigOptions(
    program
      .command('demo')
      .description('start local node(s) with the sample hunt, simulated players walking it, and print the page and inspector URLs; Ctrl-C stops cleanly and the next start resumes')
      .option('--nodes <n>', 'local cluster size (more than 1 starts a nats-server of the demo\'s own on a free port, when one is installed)', integerAtLeast('--nodes', 1), 1)
      .option('--players <n>', 'simulated players', integerAtLeast('--players', 1), 40)
      .option('--fix-interval-ms <ms>', 'how often each simulated player sends a fix', integerAtLeast('--fix-interval-ms', 1), 2_000)
      .option('--data-dir <dir>', 'folder for the nodes\' LMDB files (kept between runs)', './data')
      .option('--base-port <port>', 'node i (from 0) listens on gRPC base+3i, HTTP base+3i+1, gossip base+3i+2 (a port given with --set wins)', integerAtLeast('--base-port', 1))
      .addHelpText(
        'after',
        '\nEvery other --set (and --config, QUARRY_* variables) reaches every node; node.id, node.dataDir and node.seeds are the demo\'s.' +
          '\n\nExamples:\n  quarry demo\n  quarry demo --players 200\n  quarry demo --nodes 3 --base-port 27100\n  quarry demo --set node.httpPort=9090 --set runtime.passivationIdleMs=30000',
      ),
  ).action(async (opts: DemoOptions) => {
    if (opts.basePort !== undefined && opts.basePort + 3 * opts.nodes - 1 > 65_535) {
      console.error(`--base-port ${opts.basePort} leaves no room for ${opts.nodes} node(s) of 3 ports each below 65536`);
      process.exit(USAGE_EXIT_CODE);
    }
    // The demo runs on the built-in development secrets, on loopback only (unless the user sets otherwise).
    const set = { 'ops.allowDevSecrets': 'true', ...(opts.set ?? {}) };
    const { loaded, config } = loadedOrExit({ config: opts.config, set });
    const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
    // Several nodes need NATS (the in-process bus only reaches players on the emitting node): the demo's own
    // nats-server on a free port, never whatever happens to listen on 4222; unless the user chose a notifier.
    const ownNats = opts.nodes > 1 && loaded.sources['notify.backend'] === 'default';
    let nats: LocalNats | undefined;
    const nodes: LocalNode[] = [];
    const stopAll = async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      nats?.stop();
    };
    try {
      if (ownNats) nats = await startNatsIfInstalled(`${opts.dataDir}/nats`);
      for (let i = 0; i < opts.nodes; i++) {
        nodes.push(
          await spawnNode({
            env,
            ...(opts.config ? { configFile: opts.config } : {}),
            settings: {
              'ops.logLevel': 'warn',
              ...set,
              ...(nats ? { 'notify.backend': 'nats', 'notify.natsUrl': nats.url } : {}),
              ...demoPorts(loaded, i, opts.basePort),
              'node.id': `node-${i + 1}`,
              'node.dataDir': `${opts.dataDir}/node-${i + 1}`,
              'node.seeds': i > 0 ? nodes[0]!.ready.gossipAddress : '',
            },
            onLog: (line) => process.stderr.write(line + '\n'),
          }),
        );
      }
    } catch (err) {
      await stopAll();
      if (err instanceof NodeExitedError) {
        // The node said why (a port in use, a bad setting) on its stderr, already forwarded above; no stack trace.
        console.error(`quarry demo: ${err.nodeId} did not start (exit ${err.exitCode})`);
        process.exit(err.exitCode === USAGE_EXIT_CODE ? USAGE_EXIT_CODE : 1);
      }
      throw err;
    }
    const first = nodes[0]!.ready;
    const you = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'you', ttlMinutes: 12 * 60 });
    console.log('\nQuarry demo is running.');
    for (const n of nodes) console.log(`  ${n.ready.nodeId}: gRPC ${n.ready.grpcAddress}  HTTP ${n.ready.httpUrl}  gossip ${n.ready.gossipAddress}`);
    if (nats) console.log(`  NATS JetStream: ${nats.url} (the demo's own nats-server; its store in ${opts.dataDir}/nats)`);
    console.log(`\n  Player page (walk by clicking the map): ${first.httpUrl}/?player=you&token=${you}`);
    // The built-in development token is no secret and saves a look-up; a token of the user's own is never printed.
    const operatorToken = loaded.sources['ops.operatorToken'] === 'default' ? config.ops.operatorToken : '$QUARRY_OPS_OPERATOR_TOKEN';
    console.log(`  Actor inspector: ${first.httpUrl}/inspector  (operator token: ${operatorToken})`);
    console.log(`  Node metrics: curl -H "authorization: Bearer ${operatorToken}" ${first.httpUrl}/metrics  (Prometheus text; /metrics.json for JSON)`);
    console.log(`\n  ${opts.players} simulated players are walking the sample hunt. Ctrl-C stops everything; the next start resumes from ${opts.dataDir}.\n`);

    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    const tty = process.stdout.isTTY === true;
    const hunt = loadHuntFile(config.hunt.file);
    const report = await runLoad({
      targets: nodes.map((n) => ({ grpc: n.ready.grpcAddress, http: n.ready.httpUrl })),
      beacons: hunt.beacons,
      players: opts.players,
      fixIntervalMs: opts.fixIntervalMs,
      durationS: 0,
      untilAborted: true,
      rampUpS: 5,
      tokenSecret: config.gateway.tokenSecret,
      operatorToken: config.ops.operatorToken,
      playerPrefix: 'sim-',
      // The players' actors keep the last clientSeq across restarts and refuse any seq not above it. A run sends at
      // most one fix per player per fix interval (≥ 1 ms), so starting at the wall clock in ms continues every
      // earlier run's sequence.
      firstClientSeq: Date.now(),
      seed: 1,
      progress: false,
      onProgress: (elapsedS, p) => {
        if (tty) process.stdout.write(`\r${demoProgressLine(elapsedS, opts.players, p)}\x1b[K`);
        else if (elapsedS % PROGRESS_LINE_EVERY_S === 0) console.log(demoProgressLine(elapsedS, opts.players, p));
      },
      signal: abort.signal,
    });
    console.log('\nstopping…');
    await stopAll();
    console.log(JSON.stringify({ demo: 'stopped', fixesAcked: report.fixesAcked, fixesNotAccepted: report.fixesNotAccepted, eventsReceived: report.eventsReceived, eventGaps: report.eventGaps }));
  });
}

