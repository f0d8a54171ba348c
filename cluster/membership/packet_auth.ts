import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Packet } from './messages.js';

const VERSION = 1;
const MAC_BYTES = 32;
/** version byte + HMAC-SHA256 tag. */
export const PACKET_OVERHEAD_BYTES = 1 + MAC_BYTES;

export type RejectReason = 'unauthenticated' | 'malformed' | 'replayed';

/**
 * Seals packets with HMAC-SHA256 under the cluster key and opens them again. The MAC covers the whole JSON
 * body, so the sender id, its timestamp and nonce cannot be altered. A packet outside the replay window, or
 * whose (sender, nonce) was already seen inside it, is a replay. Gossip is not secret (ids and addresses),
 * so integrity without encryption is what the protocol needs.
 */
export class PacketAuth {
  private readonly key: Buffer;
  private readonly seen = new Map<string, number>();
  private nextPruneMs = 0;

  constructor(clusterKey: string, private readonly replayWindowMs: number) {
    this.key = Buffer.from(clusterKey, 'utf8');
  }

  seal(packet: Packet): Buffer {
    const body = Buffer.from(JSON.stringify(packet), 'utf8');
    const mac = createHmac('sha256', this.key).update(body).digest();
    return Buffer.concat([Buffer.of(VERSION), mac, body]);
  }

  open(raw: Buffer, nowMs: number): Packet | RejectReason {
    if (raw.length <= PACKET_OVERHEAD_BYTES || raw[0] !== VERSION) return 'unauthenticated';
    const mac = raw.subarray(1, PACKET_OVERHEAD_BYTES);
    const body = raw.subarray(PACKET_OVERHEAD_BYTES);
    const expected = createHmac('sha256', this.key).update(body).digest();
    if (!timingSafeEqual(mac, expected)) return 'unauthenticated';
    let packet: Packet;
    try {
      packet = JSON.parse(body.toString('utf8')) as Packet;
    } catch {
      return 'malformed';
    }
    if (typeof packet.f !== 'string' || typeof packet.n !== 'string' || typeof packet.ts !== 'number' || !Array.isArray(packet.m)) return 'malformed';
    if (Math.abs(nowMs - packet.ts) > this.replayWindowMs) return 'replayed';
    const nonceKey = `${packet.f}\u0000${packet.n}`;
    if (this.seen.has(nonceKey)) return 'replayed';
    this.seen.set(nonceKey, packet.ts + this.replayWindowMs);
    this.prune(nowMs);
    return packet;
  }

  private prune(nowMs: number): void {
    if (nowMs < this.nextPruneMs) return;
    this.nextPruneMs = nowMs + this.replayWindowMs / 4;
    for (const [k, expires] of this.seen) if (expires < nowMs) this.seen.delete(k);
  }
}
