import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, type Setting } from './settings.js';

export type Source = 'default' | 'file' | 'environment' | 'flag';

/** A configuration value that failed validation; the message names the key and the rule. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  constructor(readonly key: string, message: string, options?: { cause?: unknown }) {
    super(`config ${key}: ${message}`, options);
  }
}

/**
 * Every problem one load found, so an operator fixes them all in one go instead of one per start. It is a
 * `ConfigError` whose `key` is the first problem's; `problems` lists them all, one per line of the message.
 */
export class ConfigErrors extends ConfigError {
  override readonly name = 'ConfigErrors';
  constructor(readonly problems: readonly ConfigError[]) {
    super(problems[0]!.key, '');
    this.message = `${problems.length} config errors:\n${problems.map((p) => `  ${p.message}`).join('\n')}`;
  }
}

/** Flat map of setting key -> value, with where each value came from. */
export interface LoadedConfig {
  readonly values: Readonly<Record<string, unknown>>;
  readonly sources: Readonly<Record<string, Source>>;
  /**
   * Secrets left at their built-in development value that this load did not require (see
   * `LoadOptions.requiredSecrets`); their values are unusable and `quarry config` shows them as missing.
   */
  readonly missingSecrets: readonly string[];
}

export interface LoadOptions {
  /** Path of a JSON or YAML file with nested sections, e.g. `{ runtime: { passivationIdleMs: 60000 } }`. */
  file?: string;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** `key=value` pairs from `--set`, highest precedence. */
  flags?: Record<string, unknown>;
  /**
   * The secrets this run needs: one of them left at its development value (without `ops.allowDevSecrets`) is an
   * error, any other is only listed in `missingSecrets`. `quarry config` needs none, `quarry token issue` only
   * `gateway.tokenSecret`. @default every secret (a node needs them all)
   */
  requiredSecrets?: readonly string[];
}

const byKey = new Map<string, Setting<any>>(SETTINGS.map((s) => [s.key, s]));
const ALL_SECRETS = SETTINGS.filter((s) => s.secret).map((s) => s.key);

/** `runtime.passivationIdleMs` -> `QUARRY_RUNTIME_PASSIVATION_IDLE_MS`. */
export function envName(key: string): string {
  return 'QUARRY_' + key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * Loads defaults, then the file, then QUARRY_* environment variables, then flags; validates every key. Throws one
 * `ConfigError` when one thing is wrong, `ConfigErrors` listing every problem when several are.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const problems: ConfigError[] = [];
  /** Runs one step; a ConfigError is noted and the load goes on with the next value. */
  const attempt = (step: () => void): void => {
    try {
      step();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
    }
  };
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  for (const s of SETTINGS) {
    values[s.key] = s.default;
    sources[s.key] = 'default';
  }
  if (options.file) {
    let fromFile: Record<string, unknown> = {};
    attempt(() => (fromFile = flatten(readConfigFile(options.file!))));
    for (const [key, raw] of Object.entries(fromFile)) {
      attempt(() => {
        values[requireKnown(key, options.file!)] = raw;
        sources[key] = 'file';
      });
    }
  }
  const env = options.env ?? process.env;
  for (const s of SETTINGS) {
    const raw = env[envName(s.key)];
    if (raw === undefined) continue;
    attempt(() => {
      values[s.key] = coerceText(s, raw, envName(s.key));
      sources[s.key] = 'environment';
    });
  }
  for (const [key, raw] of Object.entries(options.flags ?? {})) {
    attempt(() => {
      const s = byKey.get(requireKnown(key, '--set'))!;
      values[key] = typeof raw === 'string' ? coerceText(s, raw, `--set ${key}`) : raw;
      sources[key] = 'flag';
    });
  }
  const invalid = new Set<string>();
  for (const s of SETTINGS) {
    attempt(() => {
      try {
        values[s.key] = validate(s, values[s.key], sources[s.key]!);
      } catch (err) {
        invalid.add(s.key);
        throw err;
      }
    });
  }
  const missingSecrets: string[] = [];
  for (const check of crossKeyRules(values, new Set(options.requiredSecrets ?? ALL_SECRETS), missingSecrets)) {
    if (!invalid.has(check.key)) problems.push(check);
  }
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new ConfigErrors(problems);
  return { values, sources, missingSecrets };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('top level must be an object of sections');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('(file)', `cannot parse ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** `{ runtime: { passivationIdleMs: 1 } }` -> `{ 'runtime.passivationIdleMs': 1 }`; arrays are values. */
function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

function requireKnown(key: string, where: string): string {
  if (!byKey.has(key)) throw new ConfigError(key, `unknown setting (from ${where}); see \`quarry config\` for the list`);
  return key;
}

function coerceText(s: Setting<any>, raw: string, where: string): unknown {
  if (Array.isArray(s.default)) return raw.trim() === '' ? [] : raw.split(',').map((x) => x.trim());
  if (typeof s.default === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(s.key, `${where}=${JSON.stringify(raw)} is not a number`);
    return n;
  }
  if (typeof s.default === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(s.key, `${where}=${JSON.stringify(raw)} must be true or false`);
  }
  return raw;
}

function validate(s: Setting<any>, value: unknown, source: Source): unknown {
  const result = s.schema.safeParse(value);
  if (result.success) return result.data;
  const rule = result.error.issues.map((i) => i.message).join('; ');
  const shown = s.secret ? '<secret>' : JSON.stringify(value);
  throw new ConfigError(s.key, `${shown} (from ${source}) is invalid: ${rule}`);
}

/** The rules across keys; fills `missingSecrets` with the development secrets this run may do without. */
function crossKeyRules(values: Record<string, unknown>, requiredSecrets: ReadonlySet<string>, missingSecrets: string[]): ConfigError[] {
  const problems: ConfigError[] = [];
  if ((values['hunt.leaderboardStalenessMs'] as number) > 2_000) {
    problems.push(new ConfigError('hunt.leaderboardStalenessMs', 'must be at most 2000 (the game promises a leaderboard at most 2 s behind)'));
  }
  const set = (key: string) => values[key] !== null;
  const clusterTls = ['cluster.tlsCaFile', 'cluster.tlsCertFile', 'cluster.tlsKeyFile'];
  if (clusterTls.some(set) && !clusterTls.every(set)) {
    problems.push(new ConfigError(clusterTls.find((k) => !set(k))!, `must be set with ${clusterTls.filter(set).join(' and ')}: node links need the CA, a certificate and its key`));
  }
  if (set('gateway.tlsCertFile') !== set('gateway.tlsKeyFile')) {
    problems.push(new ConfigError(set('gateway.tlsCertFile') ? 'gateway.tlsKeyFile' : 'gateway.tlsCertFile', 'gateway.tlsCertFile and gateway.tlsKeyFile go together'));
  } else if (set('gateway.tlsCertFile') && !set('cluster.tlsCaFile')) {
    problems.push(new ConfigError('cluster.tlsCaFile', 'must be set with gateway.tlsCertFile: node links dial the same (then TLS) gRPC port and check its certificate against this CA'));
  }
  if (!values['ops.allowDevSecrets']) {
    for (const s of SETTINGS) {
      if (!s.secret || values[s.key] !== s.default) continue;
      if (requiredSecrets.has(s.key)) problems.push(new ConfigError(s.key, `still has the built-in development value; set ${envName(s.key)} or ops.allowDevSecrets=true for local use`));
      else missingSecrets.push(s.key);
    }
  }
  return problems;
}
