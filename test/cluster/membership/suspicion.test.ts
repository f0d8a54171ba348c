import assert from 'node:assert/strict';
import { remainingSuspicionMs, Suspicion } from '../../../cluster/membership/suspicion.js';
import { Awareness } from '../../../cluster/membership/awareness.js';
import { SimScheduler } from '../../../cluster/membership/sim_scheduler.js';

describe('membership/suspicion', () => {
  it('remainingSuspicionMs: memberlist table (n confirmations of k, elapsed, min 2 s, max 30 s)', () => {
    const table: Array<[n: number, k: number, elapsedMs: number, expectedMs: number]> = [
      [0, 3, 0, 30_000],
      [1, 3, 2_000, 14_000],
      [2, 3, 3_000, 4_810],
      [3, 3, 4_000, -2_000],
      [4, 3, 5_000, -3_000],
      [5, 3, 10_000, -8_000],
    ];
    for (const [n, k, elapsed, expected] of table) assert.equal(remainingSuspicionMs(n, k, elapsed, 2_000, 30_000), expected, `n=${n} k=${k} elapsed=${elapsed}`);
  });

  it('Suspicion fires after max, shrinking with distinct confirmations (k=3, min 500, max 2000)', () => {
    const table: Array<[confirmations: string[], expectedMs: number, expectedCount: number]> = [
      [[], 2_000, 0],
      [['me', 'foo'], 1_250, 1],
      [['me', 'foo', 'foo', 'foo'], 1_250, 1],
      [['me', 'foo', 'bar'], 811, 2],
      [['me', 'foo', 'bar', 'baz'], 500, 3],
      [['me', 'foo', 'bar', 'baz', 'zoo'], 500, 3],
    ];
    for (const [confirmations, expectedMs, expectedCount] of table) {
      const sched = new SimScheduler(1, 0);
      let firedAt: number | undefined;
      let count = -1;
      const s = new Suspicion('me', 3, 500, 2_000, sched.clockFor('a'), (n) => {
        firedAt = sched.now;
        count = n;
      });
      for (const peer of confirmations) {
        sched.runFor(25);
        s.confirm(peer);
      }
      sched.runUntil(10_000);
      assert.equal(firedAt, expectedMs, `confirmations ${confirmations.join(',')}`);
      assert.equal(count, expectedCount);
      assert.equal(s.confirm('late'), false, 'a fired timer takes no confirmations');
    }
  });

  it('Suspicion with k=0 uses the minimum; cancel stops it', () => {
    const sched = new SimScheduler(1, 0);
    let fired = 0;
    new Suspicion('me', 0, 700, 4_000, sched.clockFor('a'), () => fired++);
    const cancelled = new Suspicion('me', 0, 700, 4_000, sched.clockFor('a'), () => fired++);
    cancelled.cancel();
    sched.runUntil(699);
    assert.equal(fired, 0);
    sched.runUntil(700);
    assert.equal(fired, 1);
    sched.runUntil(10_000);
    assert.equal(fired, 1);
  });

  it('Awareness scales timeouts by score + 1 within [0, max)', () => {
    const a = new Awareness(8);
    const table: Array<[delta: number, score: number, scaled500: number]> = [
      [-1, 0, 500],
      [1, 1, 1_000],
      [3, 4, 2_500],
      [10, 7, 4_000],
      [-2, 5, 3_000],
      [-100, 0, 500],
    ];
    for (const [delta, score, scaled] of table) {
      a.applyDelta(delta);
      assert.equal(a.healthScore, score, `after ${delta}`);
      assert.equal(a.scaleTimeout(500), scaled);
    }
  });
});
