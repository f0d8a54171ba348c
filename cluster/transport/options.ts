/** Settings of a link (shared by the grpc and memory transports), their defaults and validation. */
import type { Clock, Logger } from '../../actors/runtime/port.js';
import { TransportConfigError } from './errors.js';

/** Envelopes and replies one link may hold unwritten before `send`/`ask` fail with `LinkOverloadedError`. @default 10000 */
export const DEFAULT_MAX_QUEUED_ENVELOPES = 10_000;
/** Bytes (encoded) one link may hold unwritten before `send`/`ask` fail with `LinkOverloadedError`. @default 16 MiB */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** A batch is written as soon as this many encoded bytes are queued, without waiting for the next turn. @default 256 KiB */
export const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;
/** Inbound envelopes whose handler has not settled before the link stops reading (the peer then sees backpressure). @default 10000 */
export const DEFAULT_MAX_INBOUND_IN_FLIGHT = 10_000;
/** First redial delay after a link failure, doubled per failed attempt. @default 100 */
export const DEFAULT_RECONNECT_BASE_MS = 100;
/** Longest redial delay. @default 5000 */
export const DEFAULT_RECONNECT_MAX_MS = 5_000;
/** Largest clock difference accepted in a link's authentication timestamp; also the nonce replay window. @default 30000 */
export const DEFAULT_AUTH_MAX_SKEW_MS = 30_000;
/** HTTP/2 ping interval on idle links, so a silently dead peer is noticed. @default 10000 */
export const DEFAULT_KEEPALIVE_TIME_MS = 10_000;
/** How long a keepalive ping may go unanswered before the link is declared dead. @default 5000 */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 5_000;

export interface LinkOptions {
  maxQueuedEnvelopes: number;
  maxQueuedBytes: number;
  maxBatchBytes: number;
  maxInboundInFlight: number;
}

export interface TransportBaseOptions extends Partial<LinkOptions> {
  nodeId: string;
  clock?: Clock;
  logger?: Logger;
}



export function positiveInt(key: string, value: number | undefined, def: number): number {
  const v = value ?? def;
  if (!Number.isSafeInteger(v) || v <= 0) throw new TransportConfigError(key, `must be a positive integer, got ${String(value)}`);
  return v;
}

export function nodeIdOf(key: string, value: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new TransportConfigError(key, `must be 1-64 of letters, digits, . _ -, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function linkOptions(o: Partial<LinkOptions>): LinkOptions {
  const out: LinkOptions = {
    maxQueuedEnvelopes: positiveInt('maxQueuedEnvelopes', o.maxQueuedEnvelopes, DEFAULT_MAX_QUEUED_ENVELOPES),
    maxQueuedBytes: positiveInt('maxQueuedBytes', o.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES),
    maxBatchBytes: positiveInt('maxBatchBytes', o.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES),
    maxInboundInFlight: positiveInt('maxInboundInFlight', o.maxInboundInFlight, DEFAULT_MAX_INBOUND_IN_FLIGHT),
  };
  if (out.maxBatchBytes > out.maxQueuedBytes) throw new TransportConfigError('maxBatchBytes', `must not exceed maxQueuedBytes (${out.maxQueuedBytes})`);
  return out;
}

/** Redial delay after `attempt` consecutive failures (0-based): base·2^attempt capped at max, then `jitter` ∈ [0,1) takes off up to a fifth. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, jitter: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(raw * (1 - jitter / 5));
}
