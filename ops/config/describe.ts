import { SETTINGS } from './settings.js';
import { envName, type LoadedConfig } from './load.js';

/** One row of `quarry config`: the effective value keeps its type (a number stays a number); secrets never show. */
export interface ConfigRow {
  key: string;
  value: unknown;
  source: string;
}

/** Shown instead of a secret's value: `<set>`, or `<missing>` when it still has the refused development value. */
export const SECRET_SET = '<set>';
export const SECRET_MISSING = '<missing>';

/** Rows for `quarry config`: every key, its effective value (secrets hidden) and where it came from. */
export function describeConfig(loaded: LoadedConfig): ConfigRow[] {
  const missing = new Set(loaded.missingSecrets);
  return SETTINGS.map((s) => ({
    key: s.key,
    value: s.secret ? (missing.has(s.key) ? SECRET_MISSING : SECRET_SET) : loaded.values[s.key],
    source: loaded.sources[s.key]!,
  }));
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
