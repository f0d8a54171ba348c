import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../ops/config/index.js';
import { issuePlayerToken } from '../../gateway/auth/tokens.js';
import { loadFromOptions, withConfigOptions } from './options.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('player tokens for the gRPC and gRPC-web edge');
  withConfigOptions(
    token
      .command('issue')
      .description('print a signed player token (HS256 with gateway.tokenSecret); the token alone goes to stdout')
      .requiredOption('--player <id>', 'player id the token is for (its `sub` claim)')
      .option('--ttl-minutes <n>', 'lifetime in minutes (default: gateway.tokenTtlMinutes)', parsePositiveInt)
      .addHelpText('after', '\nExamples:\n  quarry token issue --player alice\n  quarry token issue --player bob --ttl-minutes 5 --config node.yaml'),
  ).action(async (opts: { player: string; ttlMinutes?: number; config?: string; set?: Record<string, string> }) => {
    try {
      // Config loading refuses the built-in development secret unless ops.allowDevSecrets is set.
      const { config } = loadFromOptions(opts);
      const ttlMinutes = opts.ttlMinutes ?? config.gateway.tokenTtlMinutes;
      console.log(await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: opts.player, ttlMinutes }));
    } catch (err) {
      if (err instanceof ConfigError || (err instanceof Error && err.name === 'TokenConfigError')) {
        console.error(err.message);
        process.exit(2);
      }
      throw err;
    }
  });
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--ttl-minutes must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
