import type { Command } from 'commander';
import { configTableMarkdown, describeConfig, envName, SECRET_MISSING, SECRET_SET, type ConfigRow } from '../../ops/config/index.js';
import { loadedOrExit, withConfigOptions } from './options.js';

export function registerConfig(program: Command): void {
  withConfigOptions(
    program
      .command('config')
      .description('print the effective configuration and where each value came from (default, file, environment, flag); secrets show as <set> or <missing>')
      .option('--json', 'print JSON instead of a table (values keep their types)')
      .option('--markdown', 'print the documented table of every setting and its default (as in the README)')
      .addHelpText('after', '\nExamples:\n  quarry config\n  quarry config --config node.yaml --set node.grpcPort=7200\n  QUARRY_RUNTIME_PASSIVATION_IDLE_MS=60000 quarry config --json\n\nExit codes: 0 the configuration loads (missing secrets are listed on stderr), 2 invalid settings (all listed).'),
  ).action((opts) => {
    if (opts.markdown) {
      console.log(configTableMarkdown());
      return;
    }
    // The command that diagnoses a configuration needs no secret: it marks the missing ones instead of refusing.
    const { loaded } = loadedOrExit(opts, []);
    const rows = describeConfig(loaded);
    if (opts.json) console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
    for (const key of loaded.missingSecrets) {
      console.error(`${key} is missing (it has the built-in development value, which a node refuses): set ${envName(key)}`);
    }
  });
}

function printTable(rows: ConfigRow[]): void {
  const shown = rows.map((r) => ({ ...r, value: r.value === SECRET_SET || r.value === SECRET_MISSING ? r.value : JSON.stringify(r.value) }));
  const keyWidth = Math.max(...shown.map((r) => r.key.length));
  const valueWidth = Math.max(...shown.map((r) => r.value.length));
  console.log(`${'key'.padEnd(keyWidth)}  ${'value'.padEnd(valueWidth)}  source`);
  for (const r of shown) console.log(`${r.key.padEnd(keyWidth)}  ${r.value.padEnd(valueWidth)}  ${r.source}`);
}
