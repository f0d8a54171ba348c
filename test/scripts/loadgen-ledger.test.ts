/**
 * The load generator's loss check (scripts/loadgen/ledger.ts): per player, the chain of acked scores and the committed
 * score at the end. Exact values; a trap beacon's first visit is -225 points.
 */
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { checkPlayer, committedScoreOf, EMPTY_FOLD, finishCheck, foldOutcomes, mightHaveApplied, PlayerLedger, summarize, type FixOutcome } from '../../scripts/loadgen/ledger.js';

const acked = (seq: number, score: number, points = 0, accepted = true): FixOutcome => ({ seq, kind: 'acked', accepted, score, points });
const unknown = (seq: number): FixOutcome => ({ seq, kind: 'unknown' });

describe('scripts/loadgen/ledger', () => {
  it('passes a clean chain whose committed score is the last ack', () => {
    const fixes = [acked(1, 0), acked(2, 100, 100), acked(3, 100), acked(4, 150, 50)];
    assert.deepEqual(checkPlayer(fixes, 150), { lostAckedFixes: 0, verified: true });
  });

  it('takes the fixes in seq order, whatever order their acks arrived in', () => {
    const fixes = [acked(4, 150, 50), acked(2, 100, 100), acked(1, 0), acked(3, 100)];
    assert.deepEqual(checkPlayer(fixes, 150), { lostAckedFixes: 0, verified: true });
  });

  it('catches a dropped write: an ack reported +50 and the next ack does not hold it', () => {
    // Fix 2 earned 50 (score 150); fix 3 earned nothing, yet reports 100: fix 2's points are gone.
    const fixes = [acked(1, 100), acked(2, 150, 50), acked(3, 100)];
    assert.deepEqual(checkPlayer(fixes, 100), { lostAckedFixes: 1, verified: true });
  });

  it('catches a dropped write in the committed score at the end', () => {
    const fixes = [acked(1, 100), acked(2, 150, 50)];
    assert.deepEqual(checkPlayer(fixes, 100), { lostAckedFixes: 1, verified: true });
  });

  it('catches a lost write that later points hide (a max-score check would not)', () => {
    // Fix 2's +50 is lost; fix 3 earns +100 on top of 100 and reports 200, above the 150 fix 2 reported.
    const fixes = [acked(1, 100), acked(2, 150, 50), acked(3, 200, 100)];
    assert.deepEqual(checkPlayer(fixes, 200), { lostAckedFixes: 1, verified: true });
  });

  it('stays quiet with trap beacons: negative awards and a falling score', () => {
    const fixes = [acked(1, 300, 300), acked(2, 75, -225), acked(3, 75), acked(4, 25, -50)];
    assert.deepEqual(checkPlayer(fixes, 25), { lostAckedFixes: 0, verified: true });
  });

  it('stays quiet when a fix of unknown outcome sits between two acks, and counts the player unverified', () => {
    // Fix 2 timed out but was applied (+50): fix 3 reports 150 with no awards of its own.
    const fixes = [acked(1, 100), unknown(2), acked(3, 150)];
    assert.deepEqual(checkPlayer(fixes, 150), { lostAckedFixes: 0, verified: false });
  });

  it('does not compare the committed score when a fix after the last ack has an unknown outcome', () => {
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 50), unknown(3)], 400), { lostAckedFixes: 0, verified: false });
  });

  it('counts a player whose committed score could not be read as unverified, not lost', () => {
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 50)], undefined), { lostAckedFixes: 0, verified: false });
  });

  it('checks the links it can and still counts a loss before an unknown-outcome fix', () => {
    const fixes = [acked(1, 100), acked(2, 150, 50), acked(3, 100), unknown(4), acked(5, 900)];
    assert.deepEqual(checkPlayer(fixes, 900), { lostAckedFixes: 1, verified: false });
  });

  it('does not check the first ack: the score before it is not known', () => {
    assert.deepEqual(checkPlayer([acked(1, 5_000, 50)], 5_000), { lostAckedFixes: 0, verified: true });
  });

  it('has nothing to check for a player without an accepted ack', () => {
    assert.deepEqual(checkPlayer([], undefined), { lostAckedFixes: 0, verified: true });
    assert.deepEqual(checkPlayer([unknown(1), unknown(2)], undefined), { lostAckedFixes: 0, verified: true });
  });

  it('an ack with accepted=false leaves the score as the previous ack had it', () => {
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 50), acked(3, 150, 0, false)], 150), { lostAckedFixes: 0, verified: true });
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 50), acked(3, 100, 0, false)], 150), { lostAckedFixes: 1, verified: true });
  });

  it('an ack with accepted=false may report the score of a later fix that overtook it', () => {
    // Fix 3 reached the actor first (+50, score 150); fix 2 came after it, was refused, and read 150.
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 0, false), acked(3, 150, 50)], 150), { lostAckedFixes: 0, verified: true });
  });

  it('an ack with accepted=false is lost when a later fix of unknown outcome could explain it, and counts unverified', () => {
    assert.deepEqual(checkPlayer([acked(1, 100), acked(2, 150, 0, false), unknown(3)], 100), { lostAckedFixes: 0, verified: false });
  });

  it('folding the fixes in pieces gives what checking them at once gives', () => {
    // Lost: fix 2's +50 (missing at fix 4), and whatever refused fix 7 did not see (160: no accepted ack explains it).
    // Fix 3's odd read is not counted: fix 5, of unknown outcome, may have overtaken it.
    const fixes = [acked(1, 100), acked(2, 150, 50), acked(3, 140, 0, false), acked(4, 100), unknown(5), acked(6, 175), acked(7, 160, 0, false), acked(8, -50, -225), acked(9, -50)];
    const whole = checkPlayer(fixes, -50);
    assert.deepEqual(whole, { lostAckedFixes: 2, verified: false });
    for (let cut = 0; cut <= fixes.length; cut++) {
      const fold = foldOutcomes(foldOutcomes(EMPTY_FOLD, fixes.slice(0, cut)), fixes.slice(cut));
      assert.deepEqual(finishCheck(fold, -50), whole, `cut at ${cut}`);
    }
  });

  it('a PlayerLedger folds only what is settled: a fix below an unanswered one waits', () => {
    const ledger = new PlayerLedger();
    // 200 fixes earning 1 point each; fix 3 stays in flight the whole time, so nothing from 3 on is folded early.
    const inFlight = new Set([3]);
    for (let seq = 1; seq <= 200; seq++) if (seq !== 3) ledger.record(acked(seq, seq, 1), inFlight);
    assert.deepEqual(ledger.check(200, inFlight), { lostAckedFixes: 0, verified: false });
    inFlight.delete(3);
    ledger.record(acked(3, 3, 1), inFlight);
    assert.deepEqual(ledger.check(200, inFlight), { lostAckedFixes: 0, verified: true });
    assert.deepEqual(ledger.check(199, inFlight), { lostAckedFixes: 1, verified: true });
  });

  it('reads the committed score from a duplicate ack, less anything it added', () => {
    assert.equal(committedScoreOf({ score: 150, awards: [] }), 150);
    assert.equal(committedScoreOf({ score: -75, awards: [{ points: -225 }, { points: 100 }] }), 50);
  });

  it('treats only statuses that refuse the fix up front as nothing applied', () => {
    const applied = Object.values(status).filter((c): c is number => typeof c === 'number' && c !== status.OK).filter(mightHaveApplied);
    assert.deepEqual(
      applied.map((c) => status[c]).sort(),
      ['ABORTED', 'ALREADY_EXISTS', 'CANCELLED', 'DATA_LOSS', 'DEADLINE_EXCEEDED', 'FAILED_PRECONDITION', 'INTERNAL', 'NOT_FOUND', 'OUT_OF_RANGE', 'UNAVAILABLE', 'UNIMPLEMENTED', 'UNKNOWN'],
    );
  });

  it('sums lost fixes and counts unverified players', () => {
    const checks = [
      { lostAckedFixes: 2, verified: true },
      { lostAckedFixes: 0, verified: false },
      { lostAckedFixes: 1, verified: false },
    ];
    assert.deepEqual(summarize(checks), { lostAckedFixes: 3, unverifiedPlayers: 2 });
  });
});
