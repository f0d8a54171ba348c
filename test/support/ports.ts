import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

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
