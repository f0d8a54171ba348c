import type { Command } from 'commander';
import { ConfigError, loadConfig, nodeConfig, type LoadedConfig, type NodeConfig } from '../../ops/config/index.js';

/** Adds the options every config-reading command shares: `--config FILE` and repeatable `--set key=value`. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON or YAML config file')
    .option('--set <key=value>', 'override one setting (repeatable), e.g. --set runtime.passivationIdleMs=60000', collectSet, {});
}

function collectSet(pair: string, acc: Record<string, string>): Record<string, string> {
  const i = pair.indexOf('=');
  if (i <= 0) throw new Error(`--set expects key=value, got ${JSON.stringify(pair)}`);
  return { ...acc, [pair.slice(0, i)]: pair.slice(i + 1) };
}

export function loadFromOptions(opts: { config?: string; set?: Record<string, string> }, extraFlags: Record<string, unknown> = {}): { loaded: LoadedConfig; config: NodeConfig } {
  const loaded = loadConfig({ file: opts.config, flags: { ...extraFlags, ...(opts.set ?? {}) } });
  return { loaded, config: nodeConfig(loaded) };
}

/** `loadFromOptions` for commands: an invalid setting prints its message (naming the key) and exits with 2. */
export function configOrExit(opts: { config?: string; set?: Record<string, string> }): NodeConfig {
  try {
    return loadFromOptions(opts).config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
