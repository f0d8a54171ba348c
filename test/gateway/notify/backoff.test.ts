import assert from 'node:assert/strict';
import { backoffDelayMs } from '../../../gateway/notify/backoff.js';

describe('gateway/notify backoffDelayMs', () => {
  const table: Array<[attempt: number, baseMs: number, maxMs: number, expected: number]> = [
    [0, 50, 2_000, 50],
    [1, 50, 2_000, 100],
    [5, 50, 2_000, 1_600],
    [6, 50, 2_000, 2_000],
    [1_000, 50, 2_000, 2_000],
    [3, 100, 5_000, 800],
  ];
  for (const [attempt, baseMs, maxMs, expected] of table) {
    it(`attempt ${attempt}, base ${baseMs} ms, cap ${maxMs} ms -> ${expected} ms`, () => {
      assert.equal(backoffDelayMs(attempt, baseMs, maxMs), expected);
    });
  }
  it('rejects a negative or fractional attempt', () => {
    assert.throws(() => backoffDelayMs(-1, 1, 1), RangeError);
    assert.throws(() => backoffDelayMs(0.5, 1, 1), RangeError);
  });
});
