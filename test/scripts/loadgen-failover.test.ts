/**
 * scripts/loadgen/failover.ts: which node a player moves to when a call fails, and the chaos figures (error window,
 * recovery) from per-player failure times, with exact table values.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { failoverFigures, failsOver, mergeFailover, summarizeFailover, targetAfterFailure, type FailoverSummary } from '../../scripts/loadgen/failover.js';

describe('scripts/loadgen/failover', () => {
  it('fails over on UNAVAILABLE only', () => {
    const table: Array<[number, boolean]> = [
      [status.UNAVAILABLE, true],
      [status.INTERNAL, false],
      [status.RESOURCE_EXHAUSTED, false],
      [status.DEADLINE_EXCEEDED, false],
      [status.UNAUTHENTICATED, false],
    ];
    for (const [code, expected] of table) assert.equal(failsOver(code), expected, status[code]);
  });

  it('moves to the target after the one that failed, once per failure of the node in use', () => {
    // [current, failedOn, targetCount, expected]
    const table: Array<[number, number, number, number]> = [
      [0, 0, 3, 1],
      [1, 1, 3, 2],
      [2, 2, 3, 0],
      // The stream failed on 2 after the fix had already moved the player from 2 to 0: it stays on 0.
      [0, 2, 3, 0],
      [1, 0, 3, 1],
      [0, 0, 1, 0],
    ];
    for (const [current, failedOn, count, expected] of table) assert.equal(targetAfterFailure(current, failedOn, count), expected, `current ${current}, failed on ${failedOn}, ${count} targets`);
    assert.throws(() => targetAfterFailure(0, 0, 0), /targetCount must be a positive integer, got 0/);
  });

  it('skips a node noted down until its time is up, unless every other one is down too', () => {
    // [current, failedOn, downUntilMs, nowMs, expected] with 3 targets
    const table: Array<[number, number, number[], number, number]> = [
      [0, 0, [0, 5_000, 0], 1_000, 2], // 1 is down: 0 -> 2
      [0, 0, [0, 5_000, 0], 5_000, 1], // 1's time is up
      [1, 1, [0, 0, 9_000], 1_000, 0], // 2 is down: 1 -> 0
      [0, 0, [9_000, 9_000, 9_000], 1_000, 1], // all down: the next one
      [2, 0, [0, 0, 9_000], 1_000, 2], // moved away already: stays, down or not
    ];
    for (const [current, failedOn, down, now, expected] of table) assert.equal(targetAfterFailure(current, failedOn, 3, down, now), expected, `current ${current}, failed on ${failedOn}, down ${JSON.stringify(down)} at ${now}`);
  });

  it('sums up failures and recoveries since the fault', () => {
    const killAtMs = 1_000;
    const failures = [500, 1_040, 1_200, 4_900, 3_000];
    const players = [
      { lastFailureAtMs: undefined, sentAfterFailureAtMs: undefined, recoveredAtMs: undefined }, // never failed
      { lastFailureAtMs: 500, sentAfterFailureAtMs: 600, recoveredAtMs: 700 }, // failed before the kill only: does not count
      { lastFailureAtMs: 1_040, sentAfterFailureAtMs: 1_300, recoveredAtMs: 1_400 },
      { lastFailureAtMs: 3_000, sentAfterFailureAtMs: 5_000, recoveredAtMs: 5_250 },
      { lastFailureAtMs: 4_900, sentAfterFailureAtMs: 5_100, recoveredAtMs: undefined }, // sent again, not served
      { lastFailureAtMs: 2_000, sentAfterFailureAtMs: undefined, recoveredAtMs: undefined }, // sent nothing since
    ];
    assert.deepEqual(summarizeFailover(killAtMs, failures, players), {
      sinceMs: 1_000,
      firstFailureAtMs: 1_040,
      lastFailureAtMs: 4_900,
      failuresBySecond: [2, 0, 1, 1],
      playersFailed: 4,
      playersUnrecovered: 1,
      playersIdle: 1,
      lastRecoveryAtMs: 5_250,
    });
    assert.deepEqual(summarizeFailover(killAtMs, [200], [{ lastFailureAtMs: 200, sentAfterFailureAtMs: 250, recoveredAtMs: 300 }]), { sinceMs: 1_000, failuresBySecond: [], playersFailed: 0, playersUnrecovered: 0, playersIdle: 0 });
  });

  it('merges workers and derives errorWindowMs and recoveryMs', () => {
    const a: FailoverSummary = { sinceMs: 1_000, firstFailureAtMs: 1_100, lastFailureAtMs: 2_000, failuresBySecond: [3, 1], playersFailed: 2, playersUnrecovered: 0, playersIdle: 1, lastRecoveryAtMs: 2_600 };
    const b: FailoverSummary = { sinceMs: 1_000, firstFailureAtMs: 1_050, lastFailureAtMs: 3_500, failuresBySecond: [1, 0, 2], playersFailed: 1, playersUnrecovered: 0, playersIdle: 0, lastRecoveryAtMs: 3_900 };
    const none: FailoverSummary = { sinceMs: 1_000, failuresBySecond: [], playersFailed: 0, playersUnrecovered: 0, playersIdle: 0 };
    const merged = mergeFailover([a, none, b])!;
    assert.deepEqual(merged, { sinceMs: 1_000, firstFailureAtMs: 1_050, lastFailureAtMs: 3_500, failuresBySecond: [4, 1, 2], playersFailed: 3, playersUnrecovered: 0, playersIdle: 1, lastRecoveryAtMs: 3_900 });
    assert.deepEqual(failoverFigures(merged), { errorWindowMs: 2_450, recoveryMs: 2_900 });
    assert.deepEqual(failoverFigures(none), { recoveryMs: 0 });
    assert.deepEqual(failoverFigures({ ...b, playersUnrecovered: 4 }), { errorWindowMs: 2_450, unrecovered: 4 });
    assert.equal(mergeFailover([]), undefined);
    assert.throws(() => mergeFailover([a, { ...none, sinceMs: 2 }]), /since different instants: 1000 and 2/);
  });
});
