#!/usr/bin/env node
// The `quarry` command: one entry point for operators, developers and benchmarks.
// Each command group lives in scripts/commands/<name>.ts and registers itself on the program.
import { Command } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerBench } from './commands/bench.js';
import { registerNode } from './commands/node.js';
import { registerDemo } from './commands/demo.js';
import { registerLoadgen } from './commands/loadgen.js';
import { registerToken } from './commands/token.js';
import { registerHunt } from './commands/hunt.js';
import { registerCluster } from './commands/cluster.js';

const program = new Command('quarry')
  .description('Quarry: an actor runtime for real-time location games')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode);
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
