/** scripts/loadgen/cpu.ts: utime + stime from /proc/<pid>/stat lines, including a command name with spaces and ')'. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { CpuWindow, parseProcStatTicks, parseSchedstatWaitNs } from '../../scripts/loadgen/cpu.js';

describe('scripts/loadgen/cpu', () => {
  it('adds utime and stime (fields 14 and 15)', () => {
    const stat = '5075 (node) S 5028 5028 3942 0 -1 4194304 101 0 0 0 1234 56 0 0 20 0 11 0 36258 3133440 389';
    assert.equal(parseProcStatTicks(stat), 1290);
  });

  it('counts fields after the last ")", so a command name like "a) b" does not shift them', () => {
    const stat = '77 (a) b) R 1 1 1 0 -1 4194304 0 0 0 0 7 3 0 0 20 0 1 0 1 1 1';
    assert.equal(parseProcStatTicks(stat), 10);
  });

  it('throws on a line that is not a stat line', () => {
    assert.throws(() => parseProcStatTicks('no such thing'), RangeError);
  });

  it('reads the run-queue wait (second field, ns) of a schedstat line', () => {
    assert.equal(parseSchedstatWaitNs('5291403455 812346098 23197\n'), 812_346_098);
    assert.throws(() => parseSchedstatWaitNs('garbage'), /not a \/proc\/<pid>\/schedstat line/);
  });

  it('measures a busy process waiting for a core while more processes than cores spin', async () => {
    // Every core busy, plus this process: it must wait some of the time (a loaded CI machine only waits more).
    const spinners = Array.from({ length: availableParallelism() + 1 }, () => spawn(process.execPath, ['-e', 'for(;;){}']));
    try {
      const window = new CpuWindow([process.pid]);
      const until = Date.now() + 600;
      while (Date.now() < until) {
        // busy
      }
      const [share] = window.runQueueWaitShare();
      assert.ok(share !== undefined && share > 0.05, `waited ${share}`);
    } finally {
      for (const s of spinners) s.kill('SIGKILL');
    }
  });
});
