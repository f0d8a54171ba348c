/** The caller did not prove who they are: no token, a malformed, forged or expired one. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`unauthenticated: ${reason}`, options);
  }
}

/** The caller is a known player asking to act as someone else. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`permission denied: ${reason}`, options);
  }
}

/** Token settings that cannot work (too short a secret, no key at all); names the setting and the rule. */
export class TokenConfigError extends Error {
  override readonly name = 'TokenConfigError';
}
