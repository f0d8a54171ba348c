import type { Command } from 'commander';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { spawnNode, type LocalNode } from '../sim/local-cluster.js';
import { runLoad } from '../loadgen/run.js';
import { startNatsIfInstalled } from '../sim/nats.js';
import { integerAtLeast } from './options.js';

/** Ports of the demo's first node; node i uses base + i. */
const DEMO_BASE_PORTS = { grpc: 7100, http: 8080, gossip: 7946 } as const;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start local node(s) with the sample hunt, simulated players walking it, and print the page URL; Ctrl-C stops cleanly and the next start resumes')
    .option('--nodes <n>', 'local cluster size (3 starts a nats-server too when one is installed)', integerAtLeast('--nodes', 1), 1)
    .option('--players <n>', 'simulated players', integerAtLeast('--players', 1), 40)
    .option('--fix-interval-ms <ms>', 'how often each simulated player sends a fix', integerAtLeast('--fix-interval-ms', 1), 2_000)
    .option('--data-dir <dir>', 'folder for the nodes\' LMDB files (kept between runs)', './data')
    .addHelpText('after', '\nExamples:\n  quarry demo\n  quarry demo --players 200\n  quarry demo --nodes 3')
    .action(async (opts: { nodes: number; players: number; fixIntervalMs: number; dataDir: string }) => {
      // The demo runs on the built-in development secrets, on loopback only.
      const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
      const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
      const nats = opts.nodes > 1 ? await startNatsIfInstalled(`${opts.dataDir}/nats`, 4222) : undefined;
      const nodes: LocalNode[] = [];
      const stopAll = async () => {
        await Promise.all(nodes.map((n) => n.stop()));
        nats?.stop();
      };
      try {
        for (let i = 0; i < opts.nodes; i++) {
          nodes.push(
            await spawnNode({
              env,
              settings: {
                'node.id': `node-${i + 1}`,
                'node.grpcPort': DEMO_BASE_PORTS.grpc + i,
                'node.httpPort': DEMO_BASE_PORTS.http + i,
                'node.gossipPort': DEMO_BASE_PORTS.gossip + i,
                'node.dataDir': `${opts.dataDir}/node-${i + 1}`,
                ...(i > 0 ? { 'node.seeds': nodes[0]!.ready.gossipAddress } : {}),
                ...(nats ? { 'notify.backend': 'nats', 'notify.natsUrl': nats.url } : {}),
                'ops.logLevel': 'warn',
              },
              onLog: (line) => process.stderr.write(line + '\n'),
            }),
          );
        }
      } catch (err) {
        await stopAll();
        throw err;
      }
      const you = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'you', ttlMinutes: 12 * 60 });
      console.log('\nQuarry demo is running.');
      for (const n of nodes) console.log(`  ${n.ready.nodeId}: gRPC ${n.ready.grpcAddress}  HTTP ${n.ready.httpUrl}`);
      console.log(`\n  Player page (walk by clicking the map): ${nodes[0]!.ready.httpUrl}/?player=you&token=${you}`);
      console.log(`  Node metrics: curl -H 'authorization: Bearer ${'$'}QUARRY_OPS_OPERATOR_TOKEN' ${nodes[0]!.ready.httpUrl}/metrics  (Prometheus text; /metrics.json for JSON; demo token: ${config.ops.operatorToken})`);
      console.log(`\n  ${opts.players} simulated players are walking the sample hunt. Ctrl-C stops everything; the next start resumes from ${opts.dataDir}.\n`);

      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const hunt = loadHuntFile(config.hunt.file);
      const report = await runLoad({
        targets: nodes.map((n) => ({ grpc: n.ready.grpcAddress, http: n.ready.httpUrl })),
        beacons: hunt.beacons,
        players: opts.players,
        fixIntervalMs: opts.fixIntervalMs,
        durationS: 7 * 24 * 3600,
        rampUpS: 5,
        tokenSecret: config.gateway.tokenSecret,
        operatorToken: config.ops.operatorToken,
        playerPrefix: 'sim-',
        seed: 1,
        progress: process.stdout.isTTY === true,
        signal: abort.signal,
      });
      console.log('\nstopping…');
      await stopAll();
      console.log(JSON.stringify({ demo: 'stopped', fixesAcked: report.fixesAcked, eventsReceived: report.eventsReceived, eventGaps: report.eventGaps }));
    });
}
