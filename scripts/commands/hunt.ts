import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HuntDefinitionError, loadHuntFile, validateHunt } from '../../actors/hunt/definition.js';
import { generateHunt } from '../../actors/hunt/generator.js';
import { integerAtLeast, USAGE_EXIT_CODE } from './options.js';

export function registerHunt(program: Command): void {
  const hunt = program.command('hunt').description('hunt definition files: generate and validate');
  hunt
    .command('generate')
    .description('write a seeded, reproducible hunt (JSON) to stdout or --out')
    .requiredOption('--buildings <n>', 'number of buildings', integerAtLeast('--buildings', 1))
    .requiredOption('--beacons <n>', 'number of beacons (at least --buildings)', integerAtLeast('--beacons', 1))
    .option('--seed <n>', 'generator seed', integerAtLeast('--seed', 1), 1)
    .option('--id <id>', 'hunt id')
    .option('--out <file>', 'write here instead of stdout')
    .addHelpText('after', '\nExamples:\n  quarry hunt generate --buildings 20 --beacons 300\n  quarry hunt generate --buildings 200 --beacons 3000 --seed 7 --out big-hunt.json')
    .action((opts: { buildings: number; beacons: number; seed: number; id?: string; out?: string }) => {
      if (opts.beacons < opts.buildings) {
        console.error(`--beacons (${opts.beacons}) must be at least --buildings (${opts.buildings})`);
        process.exit(USAGE_EXIT_CODE);
      }
      const def = validateHunt(generateHunt({ buildings: opts.buildings, beacons: opts.beacons, seed: opts.seed, ...(opts.id ? { id: opts.id } : {}) }));
      const text = JSON.stringify(def, null, 2) + '\n';
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
  hunt
    .command('validate')
    .description('check a hunt file (JSON or YAML); prints every problem with its path, exit code 1 if any')
    .argument('<file>', 'hunt definition file')
    .addHelpText('after', '\nExample:\n  quarry hunt validate actors/hunt/samples/city-hunt.json')
    .action((file: string) => {
      try {
        const def = loadHuntFile(file);
        const treasures = def.buildings.reduce((n, b) => n + b.treasures.length, 0);
        console.log(`${file}: ok (hunt "${def.id}": ${def.buildings.length} buildings, ${def.beacons.length} beacons, ${treasures} treasures, ${def.achievements.length} achievements)`);
      } catch (err) {
        if (err instanceof HuntDefinitionError) {
          for (const p of err.problems) console.error(`${file}: ${p.path || '(root)'}: ${p.message}`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
          console.error(`${file}: no such file`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
