/**
 * Typed errors are matched with `instanceof` (STYLE.md: typed errors with `name` and `cause`), not by comparing
 * `name` with a string, which a renamed class or an unrelated error of the same name would silently defeat. Where a
 * string match must stay (an error of no class of ours, such as the AbortSignal convention's AbortError), the line
 * or the one above says why with a comment beginning "By name".
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['actors', 'cluster', 'gateway', 'ops', 'node', 'scripts', 'testing'];
/** `name === 'SomethingError'` (or `!==`, either quote). */
const NAME_MATCH = /\bname\s*[!=]==?\s*['"`]\w*Error['"`]/;
const REASON = /\/\/\s*By name\b/i;

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'gen' && entry.name !== 'node_modules') sources(path, out);
    } else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('errors are matched by class, not by name string (issue 18)', () => {
  it(`no \`name === '…Error'\` in ${FOLDERS.join(', ')} without a "By name" reason`, () => {
    const found: string[] = [];
    for (const file of FOLDERS.flatMap((f) => sources(join(ROOT, f)))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (NAME_MATCH.test(line) && !REASON.test(line) && !REASON.test(lines[i - 1] ?? '')) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(found, [], 'match these with instanceof (or say why not, in a "// By name: ..." comment)');
  });
});
