import type { Command } from 'commander';

/** Suites live in scripts/bench/<suite>.ts and export `run(options): Promise<BenchResult>`. */
export const SUITES = ['runtime', 'membership', 'cluster', 'hunt', 'gateway', 'notify', 'ops', 'load', 'chaos', 'nemesis'] as const;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark suite; with --json the last stdout line is one JSON object (see BENCHMARKS.md)')
    .argument('<suite>', `one of: ${SUITES.join(', ')}, all`)
    .option('--json', 'print the result as one JSON line')
    .option('--players <n>', 'load, chaos and nemesis suites: simulated players', Number)
    .option('--nodes <n>', 'load and chaos suites: cluster size', Number)
    .option('--duration-s <n>', 'load and chaos suites: seconds of load; nemesis: seconds each fault lasts', Number)
    .option('--workers <n>', 'load and chaos suites: load worker processes (default: sized from the fix rate, see quarry loadgen --help)', Number)
    .addHelpText('after', '\nExamples:\n  quarry bench runtime\n  quarry bench runtime --json\n  quarry bench load --players 2000 --duration-s 20 --json\n  quarry bench load --players 2000 --nodes 1 --workers 2 --duration-s 20\n  quarry bench chaos --players 3000 --duration-s 36 --json\n  quarry bench nemesis --json   (as root: network namespaces and nftables)')
    .action(async (suite: string, opts) => {
      const { runSuites } = await import('../bench/harness.js');
      const ok = await runSuites(suite === 'all' ? [...SUITES] : [suite], opts);
      process.exitCode = ok ? 0 : 1;
    });
}
