/** Free loopback ports for tests and benchmarks: one the OS picks now, or a range laid out from one base. */
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

/** True when `port` can be bound on loopback now, as TCP and as UDP. */
export async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const u = createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

/**
 * A base port with `count` consecutive ports free from it (TCP and UDP), for processes whose ports are laid out
 * from one base (the demo's `--base-port`, the README's cluster). Drawn from 30000-39000, which nothing else here uses.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 9_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found in 30000-39000`);
}
