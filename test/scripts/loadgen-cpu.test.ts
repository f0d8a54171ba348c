/** scripts/loadgen/cpu.ts: utime + stime from /proc/<pid>/stat lines, including a command name with spaces and ')'. */
import assert from 'node:assert/strict';
import { parseProcStatTicks } from '../../scripts/loadgen/cpu.js';

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
});
