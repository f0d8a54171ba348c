/** A packet transport for gossip: datagrams to `host:port` addresses. UDP for real nodes, memory for simulation. */
export interface Transport {
  /** Our advertised address, `host:port` (known after bind). */
  readonly address: string;
  send(to: string, packet: Uint8Array): void;
  /** One handler; packets arriving before it is set are dropped. */
  onPacket(handler: (packet: Buffer, from: string) => void): void;
  close(): Promise<void>;
}
