import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A loopback TCP port free right now (the OS picks it; a process started next binds it). For local clusters whose
 * nodes must keep their addresses across a restart, where port 0 would give a new one.
 */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A loopback UDP port free right now (a node's gossip port). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
