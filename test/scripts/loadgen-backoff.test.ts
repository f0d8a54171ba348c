/** scripts/loadgen/backoff.ts: exponential backoff with full jitter, the stream-failure count and the fix pause, with an injected random source. */
import assert from 'node:assert/strict';
import { backoffDelayMs, DEFAULT_REFUSED_FIX_BACKOFF, DEFAULT_RESUBSCRIBE_BACKOFF, DEFAULT_STREAM_HEALTHY_AFTER_MS, fixesPausedUntilMs, streamFailuresAfter } from '../../scripts/loadgen/backoff.js';

const fixed = (r: number) => () => r;

describe('scripts/loadgen/backoff', () => {
  it('the defaults: 250 ms base, 10 s cap, a stream healthy after 10 s', () => {
    assert.deepEqual(DEFAULT_RESUBSCRIBE_BACKOFF, { baseMs: 250, capMs: 10_000 });
    assert.deepEqual(DEFAULT_REFUSED_FIX_BACKOFF, { baseMs: 250, capMs: 10_000 });
    assert.equal(DEFAULT_STREAM_HEALTHY_AFTER_MS, 10_000);
  });

  it('backoffDelayMs: uniform below min(cap, base·2^(failures−1))', () => {
    const policy = { baseMs: 250, capMs: 10_000 };
    // [failures, random, expected ms]
    const table: Array<[number, number, number]> = [
      [1, 0, 0],
      [1, 0.5, 125],
      [1, 0.999999, 249],
      [2, 0.5, 250],
      [3, 0.5, 500],
      [4, 0.5, 1_000],
      [5, 0.5, 2_000],
      [6, 0.5, 4_000],
      [7, 0.5, 5_000],
      [7, 0.999999, 9_999],
      [8, 0.25, 2_500],
      [30, 0.5, 5_000],
      [2_000, 0.5, 5_000],
    ];
    for (const [failures, r, expected] of table) assert.equal(backoffDelayMs(policy, failures, fixed(r)), expected, `failures ${failures}, random ${r}`);
  });

  it('backoffDelayMs refuses a failure count below 1, naming it', () => {
    assert.throws(() => backoffDelayMs(DEFAULT_RESUBSCRIBE_BACKOFF, 0, fixed(0.5)), /failures must be an integer ≥ 1, got 0/);
    assert.throws(() => backoffDelayMs(DEFAULT_RESUBSCRIBE_BACKOFF, 1.5, fixed(0.5)), /got 1.5/);
  });

  it('streamFailuresAfter: a stream that delivered data or stayed open 10 s starts the count again', () => {
    const healthy = DEFAULT_STREAM_HEALTHY_AFTER_MS;
    assert.equal(streamFailuresAfter(0, { delivered: false, openMs: 5 }, healthy), 1);
    assert.equal(streamFailuresAfter(4, { delivered: false, openMs: 9_999 }, healthy), 5);
    assert.equal(streamFailuresAfter(4, { delivered: false, openMs: 10_000 }, healthy), 1);
    assert.equal(streamFailuresAfter(4, { delivered: true, openMs: 3 }, healthy), 1);
  });

  it('fixesPausedUntilMs: past the next tick at least, longer when the backoff is', () => {
    const policy = DEFAULT_REFUSED_FIX_BACKOFF;
    // [interval ms, refusals, random, paused until (now = 1,000,000)]
    const table: Array<[number, number, number, number]> = [
      [10_000, 1, 0.9, 1_010_000],
      [10_000, 9, 0.999999, 1_010_000],
      [1_000, 1, 0.5, 1_001_000],
      [1_000, 4, 0.5, 1_001_000],
      [1_000, 5, 0.75, 1_003_000],
      [1_000, 9, 0.5, 1_005_000],
    ];
    for (const [interval, refusals, r, expected] of table) assert.equal(fixesPausedUntilMs(1_000_000, interval, policy, refusals, fixed(r)), expected, `interval ${interval}, refusals ${refusals}, random ${r}`);
  });
});
