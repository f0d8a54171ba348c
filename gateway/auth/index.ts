export { UnauthenticatedError, PermissionDeniedError, TokenConfigError } from './errors.js';
export { issuePlayerToken, TokenVerifier, type SigningKey, type PlayerClaims, type VerifierOptions, MIN_HS256_SECRET_CHARS, DEFAULT_CLOCK_TOLERANCE_S } from './tokens.js';
export { authorizeKnownPlayer, authorizePlayer } from './check.js';
export { authErrorToGrpc } from './grpc-status.js';
export { redactMetadata, REDACTED } from './redact.js';
