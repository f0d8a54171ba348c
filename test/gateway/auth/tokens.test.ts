import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Metadata, status } from '@grpc/grpc-js';
import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { PermissionDeniedError, REDACTED, TokenConfigError, TokenVerifier, UnauthenticatedError, authErrorToGrpc, authorizeKnownPlayer, authorizePlayer, issuePlayerToken, redactMetadata } from '../../../gateway/auth/index.js';

const SECRET = 'auth-test-secret-0123456789abcdef-xyz';
const NOW_MS = 1_800_000_000_000;
const hs = { alg: 'HS256', secret: SECRET } as const;
const verifierAt = (ms: number): TokenVerifier => new TokenVerifier({ hs256Secret: SECRET, now: () => ms });

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

describe('gateway/auth tokens and the per-call check', () => {
  it('issues HS256 tokens whose claims verify exactly', async () => {
    const token = await issuePlayerToken(hs, { playerId: 'alice', ttlMinutes: 5, nowMs: NOW_MS });
    assert.deepEqual(await verifierAt(NOW_MS).verify(token), { playerId: 'alice', expiresAtMs: NOW_MS + 5 * 60_000 });
  });

  it('a token verified once is remembered only until its expiry: the same verifier refuses it afterwards', async () => {
    let now = NOW_MS;
    const verifier = new TokenVerifier({ hs256Secret: SECRET, now: () => now });
    const token = await issuePlayerToken(hs, { playerId: 'alice', ttlMinutes: 1, nowMs: NOW_MS });
    assert.equal((await verifier.verify(token)).playerId, 'alice');
    assert.equal((await verifier.verify(token)).playerId, 'alice', 'second call answers from the cache');
    now = NOW_MS + 60_000 + 31_000;
    const err = await rejection(verifier.verify(token));
    assert.ok(err instanceof UnauthenticatedError);
    assert.equal(err.reason, 'token expired');
  });

  const failures: Array<[string, () => Promise<string>, number, string]> = [
    ['expired', () => issuePlayerToken(hs, { playerId: 'alice', ttlMinutes: 1, nowMs: NOW_MS }), NOW_MS + 60_000 + 31_000, 'token expired'],
    ['forged (other secret)', () => issuePlayerToken({ alg: 'HS256', secret: 'x'.repeat(40) }, { playerId: 'alice', ttlMinutes: 1, nowMs: NOW_MS }), NOW_MS, 'token signature is invalid'],
    ['garbage', async () => 'not.a.token', NOW_MS, 'token is malformed'],
    ['unsigned (alg none)', async () => new UnsecuredJWT({ sub: 'alice' }).setExpirationTime(NOW_MS / 1000 + 60).encode(), NOW_MS, 'token algorithm is not accepted'],
    ['no exp', () => new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET)), NOW_MS, 'token claim exp is invalid'],
  ];
  for (const [name, make, at, reason] of failures) {
    it(`rejects a ${name} token as UNAUTHENTICATED: ${reason}`, async () => {
      const token = await make();
      const err = await rejection(verifierAt(at).verify(token));
      assert.ok(err instanceof UnauthenticatedError);
      assert.equal(err.reason, reason);
      assert.ok(!err.message.includes(token) && !JSON.stringify(err.cause ?? null).includes(token), 'the token never appears in the error');
    });
  }

  it('checks the signature once for calls that bring the same new token together, failures included', async () => {
    const v = verifierAt(NOW_MS);
    const checks: string[] = [];
    const inner = (v as unknown as { verifySignature(t: string): Promise<unknown> }).verifySignature.bind(v);
    (v as unknown as { verifySignature(t: string): Promise<unknown> }).verifySignature = (t) => (checks.push(t), inner(t));
    const token = await issuePlayerToken(hs, { playerId: 'p-together', ttlMinutes: 5, nowMs: NOW_MS });
    const claims = await Promise.all([v.verify(token), v.verify(token), v.verify(token)]);
    assert.deepEqual(claims.map((c) => c.playerId), ['p-together', 'p-together', 'p-together']);
    assert.equal(checks.length, 1);
    const forged = `${token.slice(0, -4)}AAAA`;
    const refused = await Promise.all([rejection(v.verify(forged)), rejection(v.verify(forged))]);
    assert.ok(refused.every((e) => e instanceof UnauthenticatedError));
    assert.equal(checks.length, 2, 'one check for the two calls with the forged token');
    await rejection(v.verify(forged));
    assert.equal(checks.length, 3, 'a refused token is checked again on its next call, not remembered');
  });

  it('verifies EdDSA tokens by kid and refuses unknown kids', async () => {
    const { publicKey, privateKey } = await generateKeyPair('Ed25519');
    const verifier = new TokenVerifier({ eddsaPublicKeys: { k1: publicKey }, now: () => NOW_MS });
    const good = await issuePlayerToken({ alg: 'EdDSA', privateKey, kid: 'k1' }, { playerId: 'bob', ttlMinutes: 2, nowMs: NOW_MS });
    assert.equal((await verifier.verify(good)).playerId, 'bob');
    const unknown = await issuePlayerToken({ alg: 'EdDSA', privateKey, kid: 'k2' }, { playerId: 'bob', ttlMinutes: 2, nowMs: NOW_MS });
    assert.equal(((await rejection(verifier.verify(unknown))) as UnauthenticatedError).reason, 'no key for token algorithm "EdDSA" kid "k2"');
    const hsToken = await issuePlayerToken(hs, { playerId: 'bob', ttlMinutes: 2, nowMs: NOW_MS });
    assert.equal(((await rejection(verifier.verify(hsToken))) as UnauthenticatedError).reason, 'token algorithm is not accepted');
  });

  it('refuses unusable settings by name', async () => {
    assert.throws(() => new TokenVerifier({ hs256Secret: 'short' }), (e: unknown) => e instanceof TokenConfigError && /gateway.tokenSecret/.test(e.message));
    assert.throws(() => new TokenVerifier({}), TokenConfigError);
    await assert.rejects(issuePlayerToken(hs, { playerId: 'a', ttlMinutes: 0 }), /ttlMinutes: must be a positive integer/);
    await assert.rejects(issuePlayerToken(hs, { playerId: '', ttlMinutes: 1 }), /playerId/);
  });

  it('authorizePlayer: missing, doubled, non-Bearer, other player, self', async () => {
    const v = verifierAt(NOW_MS);
    const token = await issuePlayerToken(hs, { playerId: 'alice', ttlMinutes: 5, nowMs: NOW_MS });
    const reasons: Array<[Metadata, string]> = [];
    reasons.push([new Metadata(), 'missing authorization metadata (expected "Bearer <token>")']);
    const twice = bearer(token);
    twice.add('authorization', `Bearer ${token}`);
    reasons.push([twice, 'more than one authorization value']);
    const basic = new Metadata();
    basic.set('authorization', 'Basic YWxpY2U6cHc=');
    reasons.push([basic, 'authorization is not a Bearer token']);
    for (const [md, reason] of reasons) {
      const err = await rejection(authorizePlayer(md, v, 'alice'));
      assert.ok(err instanceof UnauthenticatedError && err.reason === reason, `${reason}: got ${err.message}`);
    }
    const other = await rejection(authorizePlayer(bearer(token), v, 'bob'));
    assert.ok(other instanceof PermissionDeniedError);
    assert.equal(other.message, 'permission denied: token of player "alice" cannot act as player "bob"');
    assert.equal((await authorizePlayer(bearer(token), v, 'alice')).playerId, 'alice');
    assert.equal((await authorizePlayer(bearer(token), v)).playerId, 'alice');
  });

  it('authorizeKnownPlayer: answers without a promise only for a verified, unexpired token', async () => {
    let nowMs = NOW_MS;
    const v = new TokenVerifier({ hs256Secret: SECRET, now: () => nowMs });
    const token = await issuePlayerToken(hs, { playerId: 'alice', ttlMinutes: 5, nowMs: NOW_MS });
    assert.equal(authorizeKnownPlayer(bearer(token), v, 'alice'), undefined, 'not verified yet: the caller must await authorizePlayer');
    await authorizePlayer(bearer(token), v, 'alice');
    assert.equal(authorizeKnownPlayer(bearer(token), v, 'alice')?.playerId, 'alice');
    assert.equal(authorizeKnownPlayer(bearer(token), v)?.playerId, 'alice');
    assert.throws(() => authorizeKnownPlayer(bearer(token), v, 'bob'), PermissionDeniedError);
    assert.throws(() => authorizeKnownPlayer(new Metadata(), v, 'alice'), UnauthenticatedError);
    nowMs = NOW_MS + 10 * 60_000;
    assert.equal(authorizeKnownPlayer(bearer(token), v, 'alice'), undefined, 'expired: back to the full check, which refuses it');
    assert.equal((await rejection(authorizePlayer(bearer(token), v, 'alice'))).message, 'unauthenticated: token expired');
  });

  it('maps auth errors to gRPC codes only at the edge helper', () => {
    assert.equal(authErrorToGrpc(new UnauthenticatedError('token expired'))?.code, status.UNAUTHENTICATED);
    assert.equal(authErrorToGrpc(new UnauthenticatedError('token expired'))?.details, 'unauthenticated: token expired');
    assert.equal(authErrorToGrpc(new PermissionDeniedError('x'))?.code, status.PERMISSION_DENIED);
    assert.equal(authErrorToGrpc(new Error('other')), undefined);
  });

  it('redacts credentials from metadata before logging', () => {
    const md = bearer('secret-token');
    md.set('x-session-token', 'abc');
    md.set('cookie', 'sid=1');
    md.set('x-trace', 'keep');
    md.set('blob-bin', Buffer.alloc(3));
    const out = redactMetadata(md);
    assert.deepEqual(out, { authorization: [REDACTED], 'x-session-token': [REDACTED], cookie: [REDACTED], 'x-trace': ['keep'], 'blob-bin': ['<3 bytes>'] });
    assert.ok(!JSON.stringify(out).includes('secret-token'));
  });

  it('`quarry token issue` prints a token for the configured secret', async () => {
    const cli = fileURLToPath(new URL('../../../scripts/quarry.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'token', 'issue', '--player', 'alice', '--ttl-minutes', '7', '--set', 'ops.allowDevSecrets=true'], { env: { ...process.env, QUARRY_GATEWAY_TOKEN_SECRET: SECRET } });
    const claims = await new TokenVerifier({ hs256Secret: SECRET }).verify(stdout.trim());
    assert.equal(claims.playerId, 'alice');
    assert.ok(claims.expiresAtMs > Date.now() + 6 * 60_000 && claims.expiresAtMs <= Date.now() + 7 * 60_000);
  });
});
