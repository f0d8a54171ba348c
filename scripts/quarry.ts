#!/usr/bin/env node
// The `quarry` command: one entry point for operators, developers and benchmarks.
// Each command group lives in scripts/commands/<name>.ts and registers itself on the program.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerBench } from './commands/bench.js';
import { registerNode } from './commands/node.js';
import { registerDemo } from './commands/demo.js';
import { registerLoadgen } from './commands/loadgen.js';
import { registerToken } from './commands/token.js';
import { registerHunt } from './commands/hunt.js';
import { registerCluster } from './commands/cluster.js';
import { USAGE_EXIT_CODE } from './commands/options.js';

// dist/scripts/quarry.js and scripts/quarry.ts both sit two folders below package.json.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('quarry')
  .description('Quarry: an actor runtime for real-time location games')
  .version(version, '-V, --version', 'print the version of quarry')
  .showHelpAfterError()
  // Commander's own errors (unknown option or command, a missing or invalid argument) are usage errors: exit 2, as
  // every command documents; --help and --version exit 0. Subcommands inherit this.
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
  });

registerConfig(program);
registerBench(program);
registerNode(program);
registerDemo(program);
registerLoadgen(program);
registerToken(program);
registerHunt(program);
registerCluster(program);

await program.parseAsync(process.argv);
