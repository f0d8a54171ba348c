import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfig, nodeConfig, type LoadedConfig, type NodeConfig } from '../../ops/config/index.js';

/** Exit code of every usage error: a bad option, command or setting (commander's own errors included). */
export const USAGE_EXIT_CODE = 2;

/** Adds the options every config-reading command shares: `--config FILE` and repeatable `--set key=value`. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON or YAML config file')
    .option('--set <key=value>', 'override one setting (repeatable), e.g. --set runtime.passivationIdleMs=60000', collectSet, {});
}

/** Commander reports an `InvalidArgumentError` as a usage error (exit 2) instead of a stack trace. */
export function collectSet(pair: string, acc: Record<string, string>): Record<string, string> {
  const i = pair.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`--set expects key=value, got ${JSON.stringify(pair)}`);
  return { ...acc, [pair.slice(0, i)]: pair.slice(i + 1) };
}

/** An option parser for a whole number of at least `min`; anything else is a usage error naming the flag. */
export function integerAtLeast(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}

export interface ConfigOptions {
  config?: string;
  set?: Record<string, string>;
}

export function loadFromOptions(opts: ConfigOptions, extraFlags: Record<string, unknown> = {}, requiredSecrets?: readonly string[]): { loaded: LoadedConfig; config: NodeConfig } {
  const loaded = loadConfig({ file: opts.config, flags: { ...extraFlags, ...(opts.set ?? {}) }, ...(requiredSecrets ? { requiredSecrets } : {}) });
  return { loaded, config: nodeConfig(loaded) };
}

/**
 * `loadFromOptions` for commands: invalid settings print their messages (every one, each naming its key) and exit
 * with 2. `requiredSecrets` as in `LoadOptions` (default: all).
 */
export function configOrExit(opts: ConfigOptions, requiredSecrets?: readonly string[]): NodeConfig {
  return loadedOrExit(opts, requiredSecrets).config;
}

/** `configOrExit` that also returns the flat values with their sources (for `quarry config`). */
export function loadedOrExit(opts: ConfigOptions, requiredSecrets?: readonly string[]): { loaded: LoadedConfig; config: NodeConfig } {
  try {
    return loadFromOptions(opts, {}, requiredSecrets);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(USAGE_EXIT_CODE);
    }
    throw err;
  }
}
