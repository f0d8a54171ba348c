/**
 * scripts/loadgen/stats.ts: failures by status and by message (what a chaos run reports), INTERNAL counted on fixes
 * and streams, and all of it merged from workers.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { LoadStats } from '../../scripts/loadgen/stats.js';

describe('scripts/loadgen/stats failures', () => {
  it('counts failures by message with numbers as N and node ids kept, and INTERNAL on fixes and streams', () => {
    const a = new LoadStats();
    a.countFailure(status.UNAVAILABLE, 'owner chaos-3 of player/c2867 is unreachable; retry', 1_000);
    a.countFailure(status.UNAVAILABLE, 'owner chaos-3 of player/c12 is unreachable; retry', 1_200);
    a.countFailure(status.INTERNAL, 'internal error', 1_300);
    a.countStreamFailure(status.DEADLINE_EXCEEDED, 'ask 779 to chaos-2 got no reply by its deadline (2026-12-07T16:23:42.760Z)');
    a.countStreamFailure(status.INTERNAL, 'internal error');
    assert.deepEqual(a.failuresByDetails, {
      'fix UNAVAILABLE: owner chaos-3 of player/cN is unreachable; retry': 2,
      'fix INTERNAL: internal error': 1,
      'stream DEADLINE_EXCEEDED: ask N to chaos-2 got no reply by its deadline (N-N-NTN:N:N.NZ)': 1,
      'stream INTERNAL: internal error': 1,
    });
    assert.deepEqual(a.failureTimesMs, [1_000, 1_200, 1_300]);
    assert.equal(a.streamErrors, 2);
    assert.equal(a.internalErrors, 2);

    const merged = new LoadStats();
    merged.add(a.snapshot());
    merged.add(a.snapshot());
    assert.equal(merged.internalErrors, 4);
    assert.deepEqual(merged.streamFailuresByStatus, { DEADLINE_EXCEEDED: 2, INTERNAL: 2 });
    assert.equal(merged.failuresByDetails['fix UNAVAILABLE: owner chaos-3 of player/cN is unreachable; retry'], 4);
  });

  it('keeps at most 32 distinct messages, the rest as (other)', () => {
    const s = new LoadStats();
    for (let i = 0; i < 40; i++) s.countFailure(status.UNKNOWN, `node-${i} said no`);
    assert.equal(Object.keys(s.failuresByDetails).length, 33);
    assert.equal(s.failuresByDetails['(other)'], 8);
    assert.equal(s.failuresByDetails['fix UNKNOWN: node-0 said no'], 1);
  });
});
