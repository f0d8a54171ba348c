/** Gossip messages. Several ride in one authenticated packet (piggybacking). Short keys keep datagrams small. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface MemberWire {
  id: string;
  addr: string;
  inc: number;
  st: MemberState;
  /** The member's opaque metadata (memberlist's NodeMeta), e.g. its gRPC address. */
  meta?: string;
}

export type Message =
  | { t: 'ping'; seq: number; target: string }
  | { t: 'ack'; seq: number }
  | { t: 'nack'; seq: number }
  | { t: 'pingReq'; seq: number; target: string; addr: string }
  | { t: 'alive'; id: string; addr: string; inc: number; meta?: string }
  | { t: 'suspect'; id: string; inc: number; from: string }
  /** `from === id` means the member left gracefully. */
  | { t: 'dead'; id: string; inc: number; from: string }
  | { t: 'pushPull'; reply: boolean; members: MemberWire[] };

/** The authenticated envelope: sender id and address, sender clock and a per-sender unique nonce. */
export interface Packet {
  f: string;
  a: string;
  ts: number;
  n: string;
  m: Message[];
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
