import type { Transport } from '../../cluster/membership/transport.js';

/** Gossip transport that drops datagrams to and from blocked addresses: the UDP half of a simulated partition. */
export class FilteredGossip implements Transport {
  readonly blocked = new Set<string>();

  constructor(private readonly inner: Transport) {}

  get address(): string {
    return this.inner.address;
  }

  send(to: string, packet: Uint8Array): void {
    if (!this.blocked.has(to)) this.inner.send(to, packet);
  }

  onPacket(handler: (packet: Buffer, from: string) => void): void {
    this.inner.onPacket((packet, from) => {
      if (!this.blocked.has(from)) handler(packet, from);
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
