/**
 * Player tokens: compact JWS (JWT) with `sub` = player id and `exp`, signed with HS256 from
 * `gateway.tokenSecret`, or with an Ed25519 key whose public half the verifier knows by `kid`.
 */
import { webcrypto } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type CryptoKey, type JWTHeaderParameters, type KeyObject } from 'jose';
import { TokenConfigError, UnauthenticatedError } from './errors.js';

/** Shortest HS256 secret accepted, in characters (as `gateway.tokenSecret` validates). @default 32 */
export const MIN_HS256_SECRET_CHARS = 32;
/** Clock skew tolerated when checking `exp`, in seconds. @default 30 */
export const DEFAULT_CLOCK_TOLERANCE_S = 30;
/** Longest player id a token may name, in characters. @default 128 */
export const MAX_PLAYER_ID_CHARS = 128;

export type SigningKey =
  | { alg: 'HS256'; secret: string }
  | { alg: 'EdDSA'; privateKey: CryptoKey | KeyObject; kid: string };

export interface PlayerClaims {
  playerId: string;
  expiresAtMs: number;
}

export interface IssueOptions {
  playerId: string;
  ttlMinutes: number;
  /** Defaults to Date.now(); tests pass a fixed time. */
  nowMs?: number;
}

function hsKey(secret: string): Uint8Array {
  if (secret.length < MIN_HS256_SECRET_CHARS) throw new TokenConfigError(`gateway.tokenSecret: must be at least ${MIN_HS256_SECRET_CHARS} characters`);
  return new TextEncoder().encode(secret);
}

export async function issuePlayerToken(key: SigningKey, options: IssueOptions): Promise<string> {
  if (!Number.isInteger(options.ttlMinutes) || options.ttlMinutes < 1) throw new TokenConfigError(`ttlMinutes: must be a positive integer, got ${options.ttlMinutes}`);
  if (options.playerId.length === 0 || options.playerId.length > MAX_PLAYER_ID_CHARS) throw new TokenConfigError(`playerId: must be 1..${MAX_PLAYER_ID_CHARS} characters`);
  const nowS = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const jwt = new SignJWT({}).setSubject(options.playerId).setIssuedAt(nowS).setExpirationTime(nowS + options.ttlMinutes * 60);
  if (key.alg === 'HS256') return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(hsKey(key.secret));
  return jwt.setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
}

export interface VerifierOptions {
  /** HS256 secret (`gateway.tokenSecret`); HS256 tokens are refused when absent. */
  hs256Secret?: string;
  /** Ed25519 public keys by `kid`; EdDSA tokens are refused when empty. */
  eddsaPublicKeys?: Readonly<Record<string, CryptoKey | KeyObject>>;
  clockToleranceS?: number;
  /** Defaults to Date.now(); tests pass a fake clock. */
  now?: () => number;
}

/** Checks player tokens. Holds only keys, so one per node (no module-global state). */
/** Verified tokens remembered per node, so a phone's every fix does not pay a signature check. @default 100000 */
export const DEFAULT_VERIFIED_CACHE_ENTRIES = 100_000;

export class TokenVerifier {
  /** token -> claims of tokens that verified; an entry is used only until the token's own expiry. */
  private readonly verified = new Map<string, PlayerClaims>();
  /** token -> its signature check under way (bounded by the calls in flight). */
  private readonly verifying = new Map<string, Promise<PlayerClaims>>();
  private readonly hs: Uint8Array | undefined;
  /**
   * The HS256 secret imported once as a WebCrypto key: given raw bytes, jose imports a key on every verification
   * (measured: ~45-75 µs a verification against ~25-30 µs with the key imported once).
   */
  private hsCryptoKey: CryptoKey | Promise<CryptoKey> | undefined;
  private readonly ed: Readonly<Record<string, CryptoKey | KeyObject>>;

  constructor(private readonly options: VerifierOptions) {
    this.hs = options.hs256Secret === undefined ? undefined : hsKey(options.hs256Secret);
    if (this.hs !== undefined) {
      const importing = webcrypto.subtle.importKey('raw', this.hs, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) as Promise<CryptoKey>;
      this.hsCryptoKey = importing.then((key) => (this.hsCryptoKey = key));
      // Verification awaits it; a failure (none is known) shows there as a refused token.
      importing.catch(() => {});
    }
    this.ed = options.eddsaPublicKeys ?? {};
    if (!this.hs && Object.keys(this.ed).length === 0) throw new TokenConfigError('token verifier: needs gateway.tokenSecret or at least one EdDSA public key');
  }

  /** The claims of a token that verified before and has not expired, without a promise; else undefined. */
  cached(token: string): PlayerClaims | undefined {
    const claims = this.verified.get(token);
    return claims !== undefined && claims.expiresAtMs > (this.options.now ?? Date.now)() ? claims : undefined;
  }

  async verify(token: string): Promise<PlayerClaims> {
    const cached = this.cached(token);
    if (cached !== undefined) return cached;
    // A phone's stream and fix often arrive together (a failover moves both at once): one signature check for both.
    const running = this.verifying.get(token);
    if (running !== undefined) return running;
    this.verified.delete(token);
    const verifying = this.verifySignature(token).then((claims) => {
      if (this.verified.size >= DEFAULT_VERIFIED_CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
      return claims;
    });
    this.verifying.set(token, verifying);
    try {
      return await verifying;
    } finally {
      this.verifying.delete(token);
    }
  }

  private async verifySignature(token: string): Promise<PlayerClaims> {
    const algorithms = [...(this.hs ? ['HS256'] : []), ...(Object.keys(this.ed).length ? ['EdDSA'] : [])];
    let payload;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: this.options.clockToleranceS ?? DEFAULT_CLOCK_TOLERANCE_S,
        currentDate: new Date((this.options.now ?? Date.now)()),
      }));
    } catch (cause) {
      throw new UnauthenticatedError(reasonOf(cause), { cause: scrub(cause) });
    }
    const sub = payload.sub!;
    if (sub.length === 0 || sub.length > MAX_PLAYER_ID_CHARS) throw new UnauthenticatedError('token subject is not a valid player id');
    return { playerId: sub, expiresAtMs: payload.exp! * 1000 };
  }

  private keyFor(header: JWTHeaderParameters): Uint8Array | CryptoKey | KeyObject | Promise<CryptoKey> {
    if (header.alg === 'HS256' && this.hs) return this.hsCryptoKey ?? this.hs;
    const key = header.alg === 'EdDSA' && header.kid !== undefined ? this.ed[header.kid] : undefined;
    if (!key) throw new UnauthenticatedError(`no key for token algorithm ${JSON.stringify(header.alg)} kid ${JSON.stringify(header.kid ?? null)}`);
    return key;
  }
}

/** A reason fit for the client and the log: never the token or its payload. */
function reasonOf(err: unknown): string {
  if (err instanceof UnauthenticatedError) return err.reason;
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `token claim ${err.claim} is invalid`;
  return 'token is malformed';
}

/** jose's claim errors carry the payload; keep only name and message in the cause chain. */
function scrub(err: unknown): unknown {
  return err instanceof Error ? { name: err.name, message: err.message } : undefined;
}
