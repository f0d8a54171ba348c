/**
 * Mutual proof of the cluster key when a link opens, before anything is delivered in either direction.
 *
 * The dialler sends `quarry-node-id`, `quarry-peer-id` (whom it means to reach), `quarry-ts`, `quarry-nonce` and
 * `quarry-auth` = HMAC-SHA256(key, "dial|from|to|ts|nonce"). The acceptor checks it (timestamp within the skew
 * window, nonce not seen inside the window, so a captured header cannot be replayed) and answers in its response
 * headers with its own nonce and HMAC(key, "accept|from|to|ts|dialNonce|acceptNonce"); binding the dialler's
 * nonce means a rogue server cannot replay an old answer, so the dialler writes nothing until it verified one.
 * Pure functions plus a small replay cache; the clock is passed in.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_HEADERS = {
  nodeId: 'quarry-node-id',
  peerId: 'quarry-peer-id',
  ts: 'quarry-ts',
  nonce: 'quarry-nonce',
  mac: 'quarry-auth',
} as const;

export interface DialProof {
  readonly from: string;
  readonly to: string;
  readonly tsMs: number;
  readonly nonce: string;
  readonly mac: string;
}

export interface AcceptProof {
  readonly from: string;
  readonly to: string;
  readonly tsMs: number;
  readonly nonce: string;
  readonly mac: string;
}

export function mac(key: string, parts: readonly (string | number)[]): string {
  return createHmac('sha256', key).update(parts.join('|')).digest('base64url');
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function signDial(key: string, from: string, to: string, tsMs: number, nonce: string): DialProof {
  return { from, to, tsMs, nonce, mac: mac(key, ['dial', from, to, tsMs, nonce]) };
}

export function signAccept(key: string, from: string, to: string, tsMs: number, dialNonce: string, nonce: string): AcceptProof {
  return { from, to, tsMs, nonce, mac: mac(key, ['accept', from, to, tsMs, dialNonce, nonce]) };
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why a proof was refused, or `undefined` when it is good. Exact strings, so tests can table them. */
export function checkDial(key: string, self: string, proof: DialProof, nowMs: number, maxSkewMs: number): string | undefined {
  if (!proof.from || !proof.nonce || !proof.mac || !Number.isFinite(proof.tsMs)) return 'missing auth headers';
  if (proof.to !== self) return `addressed to ${JSON.stringify(proof.to)}, this node is ${JSON.stringify(self)}`;
  if (proof.from === self) return 'peer claims this node\'s own id';
  if (Math.abs(nowMs - proof.tsMs) > maxSkewMs) return `timestamp off by ${nowMs - proof.tsMs} ms (allowed ±${maxSkewMs})`;
  if (!sameMac(proof.mac, mac(key, ['dial', proof.from, proof.to, proof.tsMs, proof.nonce]))) return 'bad HMAC';
  return undefined;
}

export function checkAccept(
  key: string,
  self: string,
  expectedPeer: string,
  dialNonce: string,
  proof: AcceptProof,
  nowMs: number,
  maxSkewMs: number,
): string | undefined {
  if (!proof.from || !proof.nonce || !proof.mac || !Number.isFinite(proof.tsMs)) return 'missing auth headers';
  if (proof.from !== expectedPeer) return `answered as ${JSON.stringify(proof.from)}, expected ${JSON.stringify(expectedPeer)}`;
  if (proof.to !== self) return `answer addressed to ${JSON.stringify(proof.to)}`;
  if (Math.abs(nowMs - proof.tsMs) > maxSkewMs) return `timestamp off by ${nowMs - proof.tsMs} ms (allowed ±${maxSkewMs})`;
  if (!sameMac(proof.mac, mac(key, ['accept', proof.from, proof.to, proof.tsMs, dialNonce, proof.nonce]))) return 'bad HMAC';
  return undefined;
}

/** Nonces seen within the skew window; a repeat is a replay. Entries older than the window are evicted. */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  /** Records the nonce; false when it was already seen inside the window. */
  admit(nonce: string, nowMs: number): boolean {
    for (const [n, at] of this.seen) {
      // Map iterates in insertion order, which is arrival order: stop at the first entry still inside.
      if (nowMs - at <= 2 * this.windowMs) break;
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, nowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
