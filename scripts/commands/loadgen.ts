import type { Command } from 'commander';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { FIXES_PER_SEC_PER_WORKER, runLoad } from '../loadgen/run.js';
import { configOrExit, integerAtLeast, withConfigOptions } from './options.js';

export function registerLoadgen(program: Command): void {
  withConfigOptions(
    program
      .command('loadgen')
      .description('simulated players walking the hunt over real gRPC, each with its own token and event stream; prints a JSON report')
      .requiredOption('--target <host:port>', 'a node\'s gRPC address (repeatable; players are spread over them)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--metrics <url>', 'a node\'s HTTP base URL to sample RSS and event-loop lag from (repeatable, same order as --target)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--players <n>', 'simulated players', integerAtLeast('--players', 1), 1_000)
      .option('--fix-interval-ms <ms>', 'time between one player\'s fixes', integerAtLeast('--fix-interval-ms', 1), 10_000)
      .option('--duration-s <s>', 'seconds of steady load after ramp-up', integerAtLeast('--duration-s', 1), 60)
      .option('--ramp-up-s <s>', 'seconds over which players start', integerAtLeast('--ramp-up-s', 0), 10)
      .option('--player-prefix <p>', 'player ids are <prefix><n>', 'load-')
      .option('--seed <n>', 'walk seed (same seed, same walks)', integerAtLeast('--seed', 0), 1)
      .option('--workers <n>', `load worker processes, each with its own connections for a slice of the players (default: one per ${FIXES_PER_SEC_PER_WORKER} fixes/s, at least 1)`, integerAtLeast('--workers', 1))
      .addHelpText(
        'after',
        '\nPlayers are spread over worker processes so the generator is not the bottleneck; the parent drives one shared measured window and merges their counters and histograms.' +
          '\nThe report has cpuCores.load (cores the workers used in the window), lostAckedFixes (acked fixes whose points are missing from a later ack or the committed score)' +
          '\nand unverifiedPlayers (players whose check was blocked by a fix of unknown outcome, e.g. DEADLINE_EXCEEDED).' +
          '\nThe token secret and operator token come from the config (gateway.tokenSecret, ops.operatorToken).\n\nExamples:\n  quarry loadgen --target 127.0.0.1:7100 --players 2000 --duration-s 30\n  quarry loadgen --target 127.0.0.1:7100 --players 20000 --workers 4\n  quarry loadgen --target 127.0.0.1:7100 --target 127.0.0.1:7101 --metrics http://127.0.0.1:8080 --metrics http://127.0.0.1:8081'),
  ).action(async (opts) => {
    const config = configOrExit(opts);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const report = await runLoad({
      targets: (opts.target as string[]).map((grpc, i) => ({ grpc, http: (opts.metrics as string[])[i] })),
      beacons: loadHuntFile(config.hunt.file).beacons,
      players: opts.players,
      fixIntervalMs: opts.fixIntervalMs,
      durationS: opts.durationS,
      rampUpS: opts.rampUpS,
      tokenSecret: config.gateway.tokenSecret,
      operatorToken: config.ops.operatorToken,
      playerPrefix: opts.playerPrefix,
      seed: opts.seed,
      workers: opts.workers,
      progress: process.stderr.isTTY === true,
      signal: abort.signal,
    });
    console.log(JSON.stringify(report));
  });
}
