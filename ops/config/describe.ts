import { SETTINGS } from './settings.js';
import { envName, type LoadedConfig } from './load.js';

function shown(value: unknown, secret: boolean | undefined): string {
  if (secret) return '<set>';
  return JSON.stringify(value);
}

/** Rows for `quarry config`: every key, its effective value (secrets hidden) and where it came from. */
export function describeConfig(loaded: LoadedConfig): Array<{ key: string; value: string; source: string }> {
  return SETTINGS.map((s) => ({ key: s.key, value: shown(loaded.values[s.key], s.secret), source: loaded.sources[s.key]! }));
}

/** The README's configuration table; test/ops/config.test.ts checks the README holds exactly this. */
export function configTableMarkdown(): string {
  const lines = ['| key | default | environment variable | meaning |', '| --- | --- | --- | --- |'];
  for (const s of SETTINGS) {
    const def = s.secret ? 'dev value (refused unless `ops.allowDevSecrets`)' : '`' + JSON.stringify(s.default) + '`';
    lines.push(`| \`${s.key}\` | ${def} | \`${envName(s.key)}\` | ${s.doc.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}
