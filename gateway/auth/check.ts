import type { Metadata } from '@grpc/grpc-js';
import { PermissionDeniedError, UnauthenticatedError } from './errors.js';
import type { PlayerClaims, TokenVerifier } from './tokens.js';

const BEARER = /^Bearer +([A-Za-z0-9_\-.]+)$/i;

/**
 * The per-call check a handler runs first: the `authorization: Bearer <token>` metadata must carry a
 * valid token, and when the request names a player (`requestedPlayerId` given) it must be the token's.
 * Throws UnauthenticatedError / PermissionDeniedError; the edge turns them into gRPC statuses.
 */
export async function authorizePlayer(metadata: Metadata, verifier: TokenVerifier, requestedPlayerId?: string): Promise<PlayerClaims> {
  const values = metadata.get('authorization');
  if (values.length === 0) throw new UnauthenticatedError('missing authorization metadata (expected "Bearer <token>")');
  if (values.length > 1) throw new UnauthenticatedError('more than one authorization value');
  const match = BEARER.exec(String(values[0]));
  if (!match) throw new UnauthenticatedError('authorization is not a Bearer token');
  const claims = await verifier.verify(match[1]!);
  if (requestedPlayerId !== undefined && requestedPlayerId !== claims.playerId) {
    throw new PermissionDeniedError(`token of player ${JSON.stringify(claims.playerId)} cannot act as player ${JSON.stringify(requestedPlayerId.slice(0, 128))}`);
  }
  return claims;
}
