import { createSocket, type Socket } from 'node:dgram';
import type { Transport } from './transport.js';

export class TransportBindError extends Error {
  override readonly name = 'TransportBindError';
}

/** Gossip over one UDP socket. Port 0 binds any free port; the bound address is `transport.address`. */
export class UdpTransport implements Transport {
  private handler: ((packet: Buffer, from: string) => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket, readonly address: string) {
    socket.on('message', (msg, rinfo) => this.handler?.(msg, `${rinfo.address}:${rinfo.port}`));
    // A send to a closed port surfaces as an ICMP error on some platforms; gossip treats it as loss.
    socket.on('error', () => undefined);
  }

  static async bind(host: string, port: number): Promise<UdpTransport> {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new TransportBindError(`cannot bind UDP ${host}:${port}`, { cause: err })));
      socket.bind(port, host, () => resolve());
    });
    const bound = socket.address();
    return new UdpTransport(socket, `${host}:${bound.port}`);
  }

  send(to: string, packet: Uint8Array): void {
    if (this.closed) return;
    const i = to.lastIndexOf(':');
    this.socket.send(packet, Number(to.slice(i + 1)), to.slice(0, i));
  }

  onPacket(handler: (packet: Buffer, from: string) => void): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
