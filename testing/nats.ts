/**
 * Starts a real `nats-server -js` for tests and benchmarks: loopback only, a free port, JetStream store in a
 * fresh temp dir. `stop()` + `start()` simulate an outage (same port, same store, so streams survive);
 * `close()` stops it and deletes the store. Every handle is independent (no globals), so tests may run several.
 *
 * Usage:
 *   const nats = await startNatsServer();   // nats.url = 'nats://127.0.0.1:<port>'
 *   ...
 *   await nats.close();                     // in after()/afterEach()
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long the server may take to print "Server is ready", in milliseconds. @default 10000 */
export const DEFAULT_NATS_START_TIMEOUT_MS = 10_000;

export interface NatsServerOptions {
  /** nats-server binary. @default 'nats-server' (Debian's package) */
  binary?: string;
  /** See {@link DEFAULT_NATS_START_TIMEOUT_MS}. */
  startTimeoutMs?: number;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** True between a successful start and stop. */
  readonly running: boolean;
  /** Starts the server again on the same port and store (after `stop()`). */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Stops the server and removes its store dir. Safe to call twice. */
  close(): Promise<void>;
}

export class NatsServerStartError extends Error {
  override readonly name = 'NatsServerStartError';
}

/** A port the OS just handed out on 127.0.0.1; free unless someone grabs it in between (rare on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? 'nats-server';
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_NATS_START_TIMEOUT_MS;
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'quarry-nats-'));
  let child: ChildProcess | undefined;
  let closed = false;

  async function start(): Promise<void> {
    if (child) throw new NatsServerStartError(`nats-server on port ${port} is already running`);
    const proc = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new NatsServerStartError(`start nats-server port ${port}: expected "Server is ready" within ${startTimeoutMs} ms, saw log: ${log.slice(-500)}`));
      }, startTimeoutMs);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('Server is ready')) finish();
      };
      const onExit = (code: number | null): void => {
        finish(new NatsServerStartError(`start nats-server port ${port}: exited with code ${code} before ready; log: ${log.slice(-500)}`));
      };
      const onError = (err: Error): void => {
        finish(new NatsServerStartError(`start nats-server port ${port}: cannot spawn ${binary}`, { cause: err }));
      };
      function finish(err?: Error): void {
        clearTimeout(timer);
        proc.stderr!.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        // Keep draining stderr so a chatty server never blocks on a full pipe.
        proc.stderr!.resume();
        if (err) {
          proc.kill('SIGKILL');
          child = undefined;
          reject(err);
        } else resolve();
      }
      proc.stderr!.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      proc.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    async close() {
      if (closed) return;
      closed = true;
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
