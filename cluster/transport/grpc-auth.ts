/** The cluster-key handshake of `auth.ts` carried in gRPC headers; shared by the Link and Handoff methods. */
import * as grpc from '@grpc/grpc-js';
import type { Clock, Logger } from '../../actors/runtime/port.js';
import { AUTH_HEADERS, NonceCache, checkAccept, checkDial, newNonce, signAccept, signDial, type DialProof } from './auth.js';

/** What both sides of the handshake need; one per transport. */
export interface AuthContext {
  readonly nodeId: string;
  readonly key: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxSkewMs: number;
  readonly nonces: NonceCache;
  /** Counts a refused proof in either direction. */
  refused(): void;
}

export function proofMetadata(proof: DialProof): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(AUTH_HEADERS.nodeId, proof.from);
  md.set(AUTH_HEADERS.peerId, proof.to);
  md.set(AUTH_HEADERS.ts, String(proof.tsMs));
  md.set(AUTH_HEADERS.nonce, proof.nonce);
  md.set(AUTH_HEADERS.mac, proof.mac);
  return md;
}

function header(md: grpc.Metadata, name: string): string {
  const v = md.get(name)[0];
  return typeof v === 'string' ? v : '';
}

export function readProof(md: grpc.Metadata): DialProof {
  const ts = header(md, AUTH_HEADERS.ts);
  return { from: header(md, AUTH_HEADERS.nodeId), to: header(md, AUTH_HEADERS.peerId), tsMs: ts ? Number(ts) : Number.NaN, nonce: header(md, AUTH_HEADERS.nonce), mac: header(md, AUTH_HEADERS.mac) };
}

/** Headers for a dial to `peerId`, and the nonce the answer must be bound to. */
export function dialHeaders(ctx: AuthContext, peerId: string): { metadata: grpc.Metadata; nonce: string } {
  const proof = signDial(ctx.key, ctx.nodeId, peerId, ctx.clock.now(), newNonce());
  return { metadata: proofMetadata(proof), nonce: proof.nonce };
}

/** Acceptor side: the verified peer id, or `undefined` after counting and logging the refusal. */
export function verifyDial(ctx: AuthContext, md: grpc.Metadata, peerAddress: string): DialProof | undefined {
  const proof = readProof(md);
  const nowMs = ctx.clock.now();
  const reason = checkDial(ctx.key, ctx.nodeId, proof, nowMs, ctx.maxSkewMs) ?? (ctx.nonces.admit(proof.nonce, nowMs) ? undefined : 'replayed nonce');
  if (!reason) return proof;
  ctx.refused();
  ctx.logger.warn({ claimed: proof.from, peerAddress, reason }, 'refused a peer: it did not prove the cluster key');
  return undefined;
}

/** Acceptor side: response headers proving the key, bound to the dialler's nonce. */
export function acceptHeaders(ctx: AuthContext, dial: DialProof): grpc.Metadata {
  return proofMetadata(signAccept(ctx.key, ctx.nodeId, dial.from, ctx.clock.now(), dial.nonce, newNonce()));
}

/** Dialler side: why the acceptor's answer is refused (counted and logged), or `undefined` when it is good. */
export function verifyAccept(ctx: AuthContext, peerId: string, dialNonce: string, md: grpc.Metadata): string | undefined {
  const reason = checkAccept(ctx.key, ctx.nodeId, peerId, dialNonce, readProof(md), ctx.clock.now(), ctx.maxSkewMs);
  if (!reason) return undefined;
  ctx.refused();
  ctx.logger.warn({ peer: peerId, reason }, 'refused a peer: its answer did not prove the cluster key');
  return reason;
}
