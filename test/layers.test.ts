/**
 * The layer rules of ARCHITECTURE.md ("Layers and folders"), checked on the imports of every source file (issue 18,
 * "How it is checked"): dependencies point down the table, nothing outside test/ imports test/, and no module
 * imports itself through others. Type-only imports count too: a type from a layer above ties this one to it.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['proto', 'actors', 'cluster', 'gateway', 'ops', 'node', 'scripts', 'testing', 'test'];

/** The layer of a repository path, by its folder (`actors/` has three, and `proto/gen/` is what code imports). */
function layerOf(file: string): string {
  if (file.startsWith('actors/') || file.startsWith('proto/gen/')) return file.split('/').slice(0, 2).join('/');
  return file.split('/')[0]!;
}

const BELOW_NODE = ['actors/store', 'actors/runtime', 'actors/hunt', 'cluster', 'gateway', 'ops', 'proto/gen'];

/**
 * What each layer may import besides itself (issue 18, "How it is checked"): `actors/store` nothing else of Quarry;
 * `actors/runtime` only `actors/store`; `actors/hunt` only the runtime and `proto/gen`; `cluster/` nothing of
 * `actors/store`, `actors/hunt`, `gateway/`, `ops/`, `node/`, `scripts/`; `gateway/` nothing of `ops/`, `node/`,
 * `scripts/`; `ops/` nothing of `node/`, `scripts/`; nothing outside `test/` imports `test/`. `test/` is not checked.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  proto: [],
  'proto/gen': [],
  'actors/store': [],
  'actors/runtime': ['actors/store'],
  'actors/hunt': ['actors/runtime', 'proto/gen'],
  cluster: ['actors/runtime', 'proto/gen'],
  gateway: ['actors/store', 'actors/runtime', 'actors/hunt', 'cluster', 'proto/gen'],
  ops: ['actors/store', 'actors/runtime', 'actors/hunt', 'cluster', 'gateway', 'proto/gen'],
  node: BELOW_NODE,
  scripts: [...BELOW_NODE, 'node', 'testing'],
  testing: [...BELOW_NODE, 'node', 'scripts'],
};

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') tsFiles(path, out);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Relative module specifiers of `source` (static and dynamic imports, re-exports), comments left out. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)) out.push(m[2]!);
  return out;
}

/** Every repository file's imports of other repository files, as repository paths (`.js` → `.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const abs of FOLDERS.flatMap((d) => tsFiles(join(ROOT, d)))) {
    const file = relative(ROOT, abs);
    const targets = importsOf(readFileSync(abs, 'utf8')).map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
    graph.set(file, targets);
  }
  return graph;
}

describe('layer rules (ARCHITECTURE.md, issue 18)', () => {
  const graph = importGraph();

  it('finds the sources and their imports', () => {
    assert.ok(graph.size > 300, `only ${graph.size} files found under ${ROOT}`);
    assert.ok(graph.get('node/start-node.ts')?.includes('node/cluster.ts'), 'node/start-node.ts imports node/cluster.ts');
  });

  it('every import points down the table (test/ may import anything; nothing else imports test/)', () => {
    const found: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      if (from === 'test') continue;
      for (const target of targets) {
        const to = layerOf(target);
        if (to === from) continue;
        const allowed = MAY_IMPORT[from];
        assert.ok(allowed !== undefined, `${file}: no rule for layer ${from}`);
        if (!allowed.includes(to)) found.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(found, [], 'imports against the layer table');
  });

  it('no import cycle', () => {
    const cycles = stronglyConnected(graph).map((files) => files.sort().join(' <-> '));
    assert.deepEqual(cycles, [], 'modules that import themselves through others');
  });
});

/** Groups of two or more files that reach each other by imports (Tarjan's algorithm). */
function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1) out.push(group);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}
