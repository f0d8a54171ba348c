import assert from 'node:assert/strict';
import { DataDirLockedError, lockDataDir } from '../../actors/store/index.js';
import { nodeSandbox } from './support/quarry-process.js';

describe('node.dataDir: one process per data folder (issue 19, item 2)', function () {
  this.timeout(60_000);
  const box = nodeSandbox('quarry-lock-', 'each');

  it('a second `quarry node start` on the folder exits 2 naming it and the holder\'s pid; after kill -9 of the holder a new node starts', async () => {
    const dir = box.dir;
    const first = box.start('l1', { 'node.dataDir': dir });
    await first.ready();
    const second = box.start('l2', { 'node.dataDir': dir });
    assert.equal(await second.exited(), 2, `second node's exit code; stderr: ${second.stderr}`);
    assert.ok(second.stderr.includes(dir), `names the folder: ${second.stderr}`);
    assert.ok(second.stderr.includes(`pid ${first.child.pid}`), `names the holder's pid ${first.child.pid}: ${second.stderr}`);
    assert.ok(!second.lines.some((l) => l.event === 'ready'), 'the second node never said ready');

    first.kill('SIGKILL');
    await first.exited();
    const third = box.start('l3', { 'node.dataDir': dir });
    await third.ready();
  });

  it('in one process too: the lock is per open file, so two nodes of one test process cannot share a folder', () => {
    const held = lockDataDir(box.dir);
    try {
      assert.throws(() => lockDataDir(box.dir), (e: unknown) => e instanceof DataDirLockedError && e.dir === box.dir && e.holderPid === process.pid);
    } finally {
      held.release();
    }
    lockDataDir(box.dir).release();
  });
});
