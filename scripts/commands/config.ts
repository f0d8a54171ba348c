import type { Command } from 'commander';
import { configTableMarkdown, describeConfig, ConfigError } from '../../ops/config/index.js';
import { loadFromOptions, withConfigOptions } from './options.js';

export function registerConfig(program: Command): void {
  withConfigOptions(
    program
      .command('config')
      .description('print the effective configuration and where each value came from (default, file, environment, flag)')
      .option('--json', 'print JSON instead of a table')
      .option('--markdown', 'print the documented table of every setting and its default (as in the README)')
      .addHelpText('after', '\nExamples:\n  quarry config\n  quarry config --config node.yaml --set node.grpcPort=7200\n  QUARRY_RUNTIME_PASSIVATION_IDLE_MS=60000 quarry config --json'),
  ).action((opts) => {
    if (opts.markdown) {
      console.log(configTableMarkdown());
      return;
    }
    try {
      const rows = describeConfig(loadFromOptions(opts).loaded);
      if (opts.json) console.log(JSON.stringify(rows, null, 2));
      else printTable(rows);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      throw err;
    }
  });
}

function printTable(rows: Array<{ key: string; value: string; source: string }>): void {
  const keyWidth = Math.max(...rows.map((r) => r.key.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  console.log(`${'key'.padEnd(keyWidth)}  ${'value'.padEnd(valueWidth)}  source`);
  for (const r of rows) console.log(`${r.key.padEnd(keyWidth)}  ${r.value.padEnd(valueWidth)}  ${r.source}`);
}
