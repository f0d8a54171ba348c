import type { Command } from 'commander';
import { TokenConfigError } from '../../gateway/auth/errors.js';
import { issuePlayerToken } from '../../gateway/auth/tokens.js';
import { configOrExit, integerAtLeast, USAGE_EXIT_CODE, withConfigOptions } from './options.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('player tokens for the gRPC and gRPC-web edge');
  withConfigOptions(
    token
      .command('issue')
      .description('print a signed player token (HS256 with gateway.tokenSecret); the token alone goes to stdout')
      .requiredOption('--player <id>', 'player id the token is for (its `sub` claim)')
      .option('--ttl-minutes <n>', 'lifetime in minutes (default: gateway.tokenTtlMinutes)', integerAtLeast('--ttl-minutes', 1))
      .addHelpText('after', '\nNeeds only gateway.tokenSecret (QUARRY_GATEWAY_TOKEN_SECRET) of the secrets.\n\nExamples:\n  quarry token issue --player alice\n  quarry token issue --player bob --ttl-minutes 5 --config node.yaml'),
  ).action(async (opts: { player: string; ttlMinutes?: number; config?: string; set?: Record<string, string> }) => {
    // Config loading refuses the built-in development token secret unless ops.allowDevSecrets is set; the other
    // secrets (cluster key, operator token) play no part in a player token.
    const config = configOrExit(opts, ['gateway.tokenSecret']);
    const ttlMinutes = opts.ttlMinutes ?? config.gateway.tokenTtlMinutes;
    try {
      console.log(await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: opts.player, ttlMinutes }));
    } catch (err) {
      if (err instanceof TokenConfigError) {
        console.error(err.message);
        process.exit(USAGE_EXIT_CODE);
      }
      throw err;
    }
  });
}
