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
  const token = bearerToken(metadata);
  return checkPlayer(verifier.cached(token) ?? (await verifier.verify(token)), requestedPlayerId);
}

/**
 * `authorizePlayer` without a promise for a token this node has verified before (a phone's every fix after its
 * first): the claims, or undefined when the token still needs its signature checked (then await `authorizePlayer`).
 * Throws what `authorizePlayer` rejects with.
 */
export function authorizeKnownPlayer(metadata: Metadata, verifier: TokenVerifier, requestedPlayerId?: string): PlayerClaims | undefined {
  const claims = verifier.cached(bearerToken(metadata));
  return claims === undefined ? undefined : checkPlayer(claims, requestedPlayerId);
}

function bearerToken(metadata: Metadata): string {
  const values = metadata.get('authorization');
  if (values.length === 0) throw new UnauthenticatedError('missing authorization metadata (expected "Bearer <token>")');
  if (values.length > 1) throw new UnauthenticatedError('more than one authorization value');
  const match = BEARER.exec(String(values[0]));
  if (!match) throw new UnauthenticatedError('authorization is not a Bearer token');
  return match[1]!;
}

function checkPlayer(claims: PlayerClaims, requestedPlayerId: string | undefined): PlayerClaims {
  if (requestedPlayerId !== undefined && requestedPlayerId !== claims.playerId) {
    throw new PermissionDeniedError(`token of player ${JSON.stringify(claims.playerId)} cannot act as player ${JSON.stringify(requestedPlayerId.slice(0, 128))}`);
  }
  return claims;
}
