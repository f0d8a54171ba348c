/**
 * No dead settings (seed 003: a limit in the config table that nothing read, while the real one sat in the code):
 * every setting of the schema is read somewhere outside the config module, by the name the nested config gives it.
 * A setting is read as `<section>.<name>` in code (comments and strings left out), or, for a section
 * handed over whole (`...config.runtime`), by its name in the code that receives it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../ops/config/settings.js';

/** The source folders a setting may be read in (tests do not count). */
const SOURCE_DIRS = ['actors', 'cluster', 'gateway', 'ops', 'node', 'scripts'];
/** Where settings are declared and nested, not read. */
const DECLARING = new Set([join('ops', 'config', 'settings.ts'), join('ops', 'config', 'node-config.ts')]);

/** Code without comments and string literals, so a setting named in a message or a doc comment does not count as read. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'gen') out.push(...sources(path));
    } else if (name.endsWith('.ts') && !DECLARING.has(path)) out.push(path);
  }
  return out;
}

describe('ops/config: no dead settings', () => {
  it('every setting in the schema is read by the code', () => {
    const code = SOURCE_DIRS.flatMap(sources).map((f) => codeOnly(readFileSync(f, 'utf8'))).join('\n');
    const spreadSections = new Set([...code.matchAll(/\.\.\.config\.([a-z]+)\b/g)].map((m) => m[1]!));
    const unread = SETTINGS.map((s) => s.key).filter((key) => {
      const [section, name] = key.split('.') as [string, string];
      if (new RegExp(`\\b${section}\\.${name}\\b`).test(code)) return false;
      return !(spreadSections.has(section) && new RegExp(`\\b${name}\\b`).test(code));
    });
    assert.deepEqual(unread, [], 'settings no code reads: wire them up or remove them');
  });
});
