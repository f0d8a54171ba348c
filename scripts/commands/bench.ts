import type { Command } from 'commander';

/** Suites live in scripts/bench/<suite>.ts and export `run(options): Promise<BenchResult>`. */
export const SUITES = ['runtime', 'membership', 'cluster', 'hunt', 'gateway', 'notify', 'ops', 'load', 'chaos'] as const;

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark suite; with --json the last stdout line is one JSON object (see BENCHMARKS.md)')
    .argument('<suite>', `one of: ${SUITES.join(', ')}, all`)
    .option('--json', 'print the result as one JSON line')
    .option('--players <n>', 'load and chaos suites: simulated players', Number)
    .option('--nodes <n>', 'load and chaos suites: cluster size', Number)
    .option('--duration-s <n>', 'load and chaos suites: seconds of load', Number)
    .option('--workers <n>', 'load and chaos suites: load worker processes (default: sized from the fix rate, see quarry loadgen --help)', Number)
    .option('--headline-only', 'load suite: the headline phase only (no ladder, no overload figures)')
    .addHelpText('after', '\nExamples:\n  quarry bench runtime\n  quarry bench runtime --json\n  quarry bench load --players 2000 --duration-s 20 --json\n  quarry bench load --players 2000 --nodes 1 --workers 2 --duration-s 20\n  quarry bench chaos --players 3000 --duration-s 36 --json')
    .action(async (suite: string, opts) => {
      const { runSuites } = await import('../bench/harness.js');
      try {
        const ok = await runSuites(suite === 'all' ? [...SUITES] : [suite], opts);
        process.exitCode = ok ? 0 : 1;
      } catch (err) {
        // Suites check their options before they start anything: a RangeError is a usage error, not a crash.
        if (!(err instanceof RangeError)) throw err;
        console.error(`quarry bench ${suite}: ${err.message}`);
        process.exitCode = 2;
      }
    });
}
