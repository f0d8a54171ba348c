/**
 * No dead code (issue 18): every exported function, class or constant of the sources is used somewhere, in another
 * module, a test or at least its own module. An export named nowhere else was left behind when its last caller went
 * (as `injectTrace`/`extractTrace` and `encodeClaimAnswer`/`decodeClaimAnswer` were).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where exports are checked; `test/` and `proto/` are searched for uses too. */
const SOURCES = ['actors', 'cluster', 'gateway', 'ops', 'node', 'scripts', 'testing'];
const USERS = [...SOURCES, 'test', 'proto'];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') tsFiles(path, out);
    } else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The code without comments, so a name kept only in a doc comment does not count as a use. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('no dead exports (issue 18)', () => {
  it(`every export of ${SOURCES.join(', ')} is used somewhere`, () => {
    const code = new Map(USERS.flatMap((d) => tsFiles(join(ROOT, d))).map((f) => [relative(ROOT, f), withoutComments(readFileSync(f, 'utf8'))] as const));
    const dead: string[] = [];
    for (const [file, source] of code) {
      if (!SOURCES.some((d) => file.startsWith(`${d}/`)) || file.includes('/gen/')) continue;
      for (const m of source.matchAll(/^export (?:async )?(?:function|const|class|let) (\w+)/gm)) {
        const name = m[1]!;
        const word = new RegExp(`\\b${name}\\b`, 'g');
        let uses = 0;
        for (const other of code.values()) uses += other.match(word)?.length ?? 0;
        if (uses === 1) dead.push(`${file}: ${name}`);
      }
    }
    assert.deepEqual(dead, [], 'exports nothing uses: remove them (and what only they used)');
  });
});
