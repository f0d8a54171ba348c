import { cpus } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What every suite returns: flat figures with the unit in the name; absent when not measured. */
export interface BenchResult {
  figures: Record<string, number>;
  /** Human notes, printed on stderr (why a figure is missing, targets missed). */
  notes?: string[];
}

export interface BenchOptions {
  json?: boolean;
  players?: number;
  nodes?: number;
  durationS?: number;
}

export type Suite = (options: BenchOptions) => Promise<BenchResult>;

/** The middle of `values` (for an even count, the upper of the two middle ones): a figure from repeated rounds. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs suites one after another; prints a table (or one JSON line each); `all` also writes bench/results.json. */
export async function runSuites(names: string[], options: BenchOptions): Promise<boolean> {
  const all: Record<string, unknown> = {};
  let ok = true;
  for (const name of names) {
    const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
    if (!existsSync(file)) {
      console.error(`bench ${name}: no such suite (${file} missing)`);
      ok = false;
      continue;
    }
    const mod = (await import(file)) as { run: Suite };
    const result = await mod.run(options);
    for (const note of result.notes ?? []) console.error(`bench ${name}: ${note}`);
    const line = { suite: name, node: process.version, cpus: cpus().length, figures: result.figures };
    all[name] = line;
    if (options.json) console.log(JSON.stringify(line));
    else console.table(result.figures);
  }
  if (names.length > 1) {
    mkdirSync('bench', { recursive: true });
    writeFileSync('bench/results.json', JSON.stringify({ at: new Date().toISOString(), suites: all }, null, 2) + '\n');
  }
  return ok;
}
