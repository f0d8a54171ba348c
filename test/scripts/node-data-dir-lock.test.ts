import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, lockDataDir } from '../../actors/store/index.js';
import { startQuarry, type QuarryProcess } from './support/quarry-process.js';

describe('node.dataDir: one process per data folder (issue 19, item 2)', function () {
  this.timeout(60_000);
  let dir: string;
  const started: QuarryProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-lock-'));
  });
  afterEach(async () => {
    for (const p of started.splice(0)) {
      p.kill();
      await p.exited();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a second `quarry node start` on the folder exits 2 naming it and the holder\'s pid; after kill -9 of the holder a new node starts', async () => {
    const first = startQuarry('l1', { 'node.dataDir': dir });
    started.push(first);
    await first.ready();
    const second = startQuarry('l2', { 'node.dataDir': dir });
    started.push(second);
    assert.equal(await second.exited(), 2, `second node's exit code; stderr: ${second.stderr}`);
    assert.ok(second.stderr.includes(dir), `names the folder: ${second.stderr}`);
    assert.ok(second.stderr.includes(`pid ${first.child.pid}`), `names the holder's pid ${first.child.pid}: ${second.stderr}`);
    assert.ok(!second.lines.some((l) => l.event === 'ready'), 'the second node never said ready');

    first.kill('SIGKILL');
    await first.exited();
    const third = startQuarry('l3', { 'node.dataDir': dir });
    started.push(third);
    await third.ready();
  });

  it('in one process too: the lock is per open file, so two nodes of one test process cannot share a folder', () => {
    const held = lockDataDir(dir);
    try {
      assert.throws(() => lockDataDir(dir), (e: unknown) => e instanceof DataDirLockedError && e.dir === dir && e.holderPid === process.pid);
    } finally {
      held.release();
    }
    lockDataDir(dir).release();
  });
});
