import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { freeTcpPort } from '../../testing/ports.js';

export interface LocalNats {
  readonly url: string;
  /** The nats-server process id (for CPU accounting), undefined if it failed to spawn. */
  readonly pid: number | undefined;
  stop(): void;
}

/**
 * Starts `nats-server -js` on loopback for a local multi-node run (demo, load benchmark), or returns undefined
 * (with the reason on stderr) when none is installed. Several nodes need NATS: the in-process notifier only
 * reaches players connected to the node whose actor emitted the event.
 */
export async function startNatsIfInstalled(storeDir: string, port?: number): Promise<LocalNats | undefined> {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('nats-server is not installed: nodes use the in-process notifier, so a player only hears events of actors on the node it is connected to (apt-get install nats-server)');
    return undefined;
  }
  const p = port ?? (await freeTcpPort());
  mkdirSync(storeDir, { recursive: true });
  const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(p), '-sd', storeDir], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100 && !(await accepts(p)); attempt++) await new Promise((r) => setTimeout(r, 100));
  return { url: `nats://127.0.0.1:${p}`, pid: proc.pid, stop: () => proc.kill('SIGTERM') };
}


function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
