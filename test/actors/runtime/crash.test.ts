import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ActorHost } from '../../../actors/runtime/host.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import { openLmdbStore } from '../../../actors/store/lmdb-store.js';
import { tempDir } from '../store/support.js';
import { counter } from './kinds.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.js', import.meta.url));
const ACKS_BEFORE_KILL = 3_000;

describe('kill -9 after acknowledged asks (real child process, real LMDB)', () => {
  let dir: ReturnType<typeof tempDir>;
  let child: ChildProcess | undefined;

  beforeEach(() => {
    dir = tempDir('crash');
  });

  afterEach(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    dir.remove();
  });

  it('keeps every acknowledged increment after SIGKILL and a restart', async () => {
    const acked = new Map<string, number>();
    let total = 0;
    child = spawn(process.execPath, [CHILD, dir.path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const proc = child;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
    const killed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`phase ack: expected ${ACKS_BEFORE_KILL} acks from child ${proc.pid} within 30 s, saw ${total}`)), 30_000);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const [word, key, n] = line.split(' ');
        if (word !== 'ack') return;
        acked.set(key!, Math.max(acked.get(key!) ?? 0, Number(n)));
        if (++total === ACKS_BEFORE_KILL) {
          clearTimeout(timer);
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.once('exit', () => {
        clearTimeout(timer);
        if (total < ACKS_BEFORE_KILL) reject(new Error(`phase ack: child ${proc.pid} exited after ${total} acks`));
      });
    });
    await killed;
    assert.equal(await exited, 'SIGKILL');

    const store = openLmdbStore({ path: dir.path });
    const host = new ActorHost({ store, logger: memoryLogger() });
    try {
      assert.equal(acked.size, 10);
      for (const [key, n] of acked) {
        const now = await host.ask(host.ref(counter, key), { type: 'get' });
        assert.ok(now >= n, `counter ${key}: acknowledged ${n}, found ${now} after the restart`);
      }
    } finally {
      await host.close();
      await store.close();
    }
  });
});
