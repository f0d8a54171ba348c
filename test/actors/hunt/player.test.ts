import assert from 'node:assert/strict';
import { InvalidFixError } from '../../../actors/hunt/fix.js';
import type { PlayerView } from '../../../actors/hunt/messages.js';
import FakeTimers from '@sinonjs/fake-timers';
import { HuntGame } from '../../../actors/hunt/hunt-game.js';
import { fakeClock, HandlerError } from '../../../actors/runtime/index.js';
import { MIN, startHunt, T0, type HuntHarness } from './support.js';

function channelBodies(h: HuntHarness, channel: string): unknown[] {
  return h.store.outbox.readPending(0, 100_000).filter((e) => e.channel === channel).map((e) => e.body);
}

describe('hunt: player actor (real LMDB, fake clock)', function () {
  let h: HuntHarness;
  beforeEach(async () => {
    h = await startHunt({ passivationIdleMs: 60_000 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('a visit awards first-visit points once; repeat points only after the cooldown; events go to user.<id>', async () => {
    const { game } = h;
    const a1 = await game.reportFix('alice', h.fixAt('h1', 1));
    assert.deepEqual(a1, { accepted: true, closestBeaconId: 'h1', score: 100, awards: [{ beaconId: 'h1', points: 100, reason: 'first-visit' }], achievements: [], claimedTreasures: [] });
    const a2 = await game.reportFix('alice', h.fixAt('h1', 2));
    assert.deepEqual([a2.accepted, a2.score, a2.awards], [true, 100, []]);
    await h.advance(11_000);
    await game.reportFix('alice', h.fixAt('h2', 3));
    await h.advance(11_000);
    const back = await game.reportFix('alice', h.fixAt('h1', 4));
    assert.deepEqual([back.score, back.awards], [200, []], 'back at h1 within 10 min: cooldown');
    await h.advance(10 * MIN);
    await game.reportFix('alice', h.fixAt('h2', 5));
    await h.advance(11_000);
    const later = await game.reportFix('alice', h.fixAt('h1', 6));
    assert.deepEqual([later.score, later.awards], [220, [{ beaconId: 'h1', points: 10, reason: 'repeat-visit' }]]);
    await h.host.flush();
    const events = channelBodies(h, 'user.alice');
    assert.deepEqual(events.slice(0, 2), [{ $case: 'buildingEntered', value: 'hq' }, { $case: 'award', value: { beaconId: 'h1', points: 100, reason: 'first-visit' } }]);
    assert.equal(events.filter((e) => (e as { $case: string }).$case === 'buildingEntered').length, 1, 'h1 -> h2 -> h1 stays in hq');
  });

  it('out-of-order and duplicate fixes change nothing', async () => {
    const { game } = h;
    await game.reportFix('bob', h.fixAt('h1', 10));
    const before = await game.profile('bob');
    await h.advance(11_000);
    const dup = await game.reportFix('bob', h.fixAt('h2', 10));
    const old = await game.reportFix('bob', h.fixAt('h2', 7));
    assert.deepEqual(dup, { accepted: false, closestBeaconId: 'h1', score: 100, awards: [], achievements: [], claimedTreasures: [] });
    assert.deepEqual(old, dup);
    assert.deepEqual(await game.profile('bob'), before);
    const next = await game.reportFix('bob', h.fixAt('h2', 11));
    assert.deepEqual([next.accepted, next.closestBeaconId, next.score], [true, 'h2', 200]);
  });

  it('a fix naming an unknown beacon or with NaN RSSI is rejected with a reason and changes nothing', async () => {
    const { game } = h;
    await game.reportFix('carol', h.fixAt('h1', 1));
    const before = await game.profile('carol');
    await assert.rejects(game.reportFix('carol', { clientSeq: 2, clientTimeMs: T0, readings: [{ beaconId: 'nowhere', rssiDbm: -60 }] }), (err: unknown) => err instanceof InvalidFixError && err.reason === 'unknownBeacon');
    await assert.rejects(game.reportFix('carol', { clientSeq: 3, clientTimeMs: T0, readings: [{ beaconId: 'h2', rssiDbm: NaN }] }), (err: unknown) => err instanceof InvalidFixError && err.reason === 'rssiNotFinite');
    await assert.rejects(game.reportFix('carol', { clientSeq: 4, clientTimeMs: T0 + 60_000, readings: [{ beaconId: 'h2', rssiDbm: -60 }] }), (err: unknown) => err instanceof InvalidFixError && err.reason === 'timeInFuture');
    // The actor checks again when a caller bypasses the facade; the runtime wraps the handler's error.
    const ref = h.host.ref(game.kinds.player, 'carol');
    await assert.rejects(h.host.ask(ref, { type: 'fix', fix: { clientSeq: 5, clientTimeMs: T0, readings: [{ beaconId: 'h2', rssiDbm: Infinity }] } }), (err: unknown) => err instanceof HandlerError && err.cause instanceof InvalidFixError && err.cause.reason === 'rssiNotFinite');
    // A facade whose clock runs a minute ahead (another node) passes the fix; the actor's check still refuses it.
    const ahead = new HuntGame(game.kinds, { system: h.host, clock: fakeClock(FakeTimers.createClock(T0 + 60_000)) });
    try {
      await assert.rejects(ahead.reportFix('carol', { clientSeq: 6, clientTimeMs: T0 + 60_000, readings: [{ beaconId: 'h2', rssiDbm: -60 }] }), (err: unknown) => err instanceof InvalidFixError && err.reason === 'timeInFuture');
    } finally {
      ahead.close();
    }
    assert.deepEqual(await game.profile('carol'), before);
    const ok = await game.reportFix('carol', h.fixAt('h1', 2));
    assert.equal(ok.accepted, true, 'rejected fixes did not consume their sequence numbers');
  });

  it('score survives passivation, a 10-minute silence and a restart; the session survives them too within its TTL', async () => {
    const { game } = h;
    await game.reportFix('dave', h.fixAt('h1', 1));
    await h.advance(11_000);
    await game.reportFix('dave', h.fixAt('h2', 2));
    const ref = h.host.ref(game.kinds.player, 'dave');
    await h.advance(10 * MIN);
    assert.equal(h.host.inspect(ref), undefined, 'dave passivated after 60 s idle');
    const afterSilence = await h.game.profile('dave');
    assert.deepEqual([afterSilence.score, afterSilence.lastSeq, afterSilence.session.currentBeaconId, afterSilence.session.lastSeq], [200, 2, 'h2', 2]);
    await h.restart();
    const afterRestart = await h.game.profile('dave');
    assert.deepEqual(afterRestart, afterSilence);
    const next = await h.game.reportFix('dave', h.fixAt('h2', 3));
    assert.deepEqual([next.accepted, next.closestBeaconId, next.score, next.awards], [true, 'h2', 200, []], 'still at h2: no new visit');
  });

  it('the session expires after sessionTtlMinutes while the profile stays, and an old fix is still refused', async () => {
    const { game } = h;
    await game.reportFix('erin', h.fixAt('h1', 1));
    await game.reportFix('erin', h.fixAt('h1', 2));
    await h.advance(29 * MIN);
    let p: PlayerView = await game.profile('erin');
    assert.deepEqual(p.session, { lastSeq: 2, currentBeaconId: 'h1', buildingId: 'hq', trackedBeacons: 1 }, '29 min: still alive (the query touched it)');
    await h.advance(30 * MIN);
    p = await game.profile('erin');
    assert.deepEqual(p.session, { lastSeq: 0, currentBeaconId: null, buildingId: null, trackedBeacons: 0 });
    assert.deepEqual([p.score, p.lastSeq], [100, 1]);
    const replay = await game.reportFix('erin', h.fixAt('h2', 1));
    assert.equal(replay.accepted, false, 'seq 1 changed the profile, so it stays a duplicate after the session is gone');
    const back = await game.reportFix('erin', h.fixAt('h1', 3));
    assert.deepEqual(
      [back.accepted, back.closestBeaconId, back.score, back.awards],
      [true, 'h1', 110, [{ beaconId: 'h1', points: 10, reason: 'repeat-visit' }]],
      're-entering h1 an hour later: repeat points, never first-visit points twice',
    );
  });

  it('an expired session is gone after passivation and restart too; the profile is not', async () => {
    const { game } = h;
    await game.reportFix('fay', h.fixAt('h2', 1));
    await h.advance(31 * MIN);
    await h.host.sweepNow();
    await h.restart();
    const p = await h.game.profile('fay');
    assert.deepEqual([p.score, p.session.currentBeaconId, p.session.trackedBeacons], [100, null, 0]);
  });

  it('achievements: all beacons of a building and N distinct beacons within T minutes', async () => {
    const { game } = h;
    let seq = 0;
    const walk = async (b: string) => {
      await h.advance(11_000);
      return game.reportFix('gus', h.fixAt(b, ++seq));
    };
    await walk('h1');
    await walk('h2');
    const v = await walk('vault');
    assert.deepEqual(v.achievements, ['hq-complete']);
    assert.deepEqual(v.claimedTreasures, ['crown']);
    assert.deepEqual(v.awards.map((a) => [a.points, a.reason]), [[50, 'first-visit'], [300, 'treasure:crown'], [500, 'achievement:hq-complete']]);
    const l = await walk('l2');
    assert.deepEqual([l.achievements, l.score], [['sprinter'], 100 + 100 + 50 + 300 + 500 + 40 + 200]);
    const p = await game.profile('gus');
    assert.deepEqual([p.achievements, p.claims, p.completedAtMs !== null], [['hq-complete', 'sprinter'], ['crown'], true]);
    assert.deepEqual(await game.winner(), { playerId: 'gus', decidedAtMs: p.completedAtMs });
  });

  it('"why did I lose 450 points?": the audit log answers per player', async () => {
    const { game } = h;
    await game.reportFix('hal', h.fixAt('h1', 1));
    await h.advance(90 * MIN); // 13:30 UTC: trap-hour doubles the trap
    const ack = await game.reportFix('hal', h.fixAt('trap', 2));
    assert.deepEqual([ack.score, ack.awards], [-350, [{ beaconId: 'trap', points: -450, reason: 'first-visit x2 (trap-hour)' }]]);
    await h.host.flush();
    const trail = game.auditTrail('hal');
    assert.deepEqual(
      trail.map((t) => t.entry),
      [
        { type: 'award', playerId: 'hal', beaconId: 'h1', points: 100, reason: 'first-visit', fixSeq: 1, clientTimeMs: T0, atMs: T0, scoreAfter: 100 },
        { type: 'award', playerId: 'hal', beaconId: 'trap', points: -450, reason: 'first-visit x2 (trap-hour)', fixSeq: 2, clientTimeMs: T0 + 90 * MIN, atMs: T0 + 90 * MIN, scoreAfter: -350 },
      ],
    );
    assert.deepEqual(trail.map((t) => t.atMs), [T0, T0 + 90 * MIN]);
  });

  it('a claim the building granted but the profile missed (crash between the two commits) is repaired on the next visit', async () => {
    const building = h.host.ref(h.game.kinds.building, 'hq');
    const granted = await h.host.ask(building, { type: 'claim', playerId: 'zed', treasureId: 'crown', beaconId: 'vault', fixSeq: 1, atMs: T0 });
    assert.equal('result' in granted && granted.result, 'granted');
    const ack = await h.game.reportFix('zed', h.fixAt('vault', 2));
    assert.deepEqual(ack.claimedTreasures, ['crown']);
    assert.deepEqual(ack.awards.map((a) => a.reason), ['first-visit', 'treasure:crown']);
    const list = await h.game.treasureList('hq');
    assert.deepEqual(list.treasures[0]!.claimedBy, ['zed'], 'still one claim');
    await h.advance(11_000);
    await h.game.reportFix('zed', h.fixAt('h1', 3));
    await h.advance(11 * MIN);
    const again = await h.game.reportFix('zed', h.fixAt('vault', 4));
    assert.deepEqual(again.claimedTreasures, [], 'repaired once, never twice');
  });

  it('bad player ids are refused before they become channel names', async () => {
    await assert.rejects(h.game.reportFix('a.b', h.fixAt('h1', 1)), { name: 'InvalidHuntRequestError', reason: 'badPlayerId' });
    await assert.rejects(h.game.treasureList('nope'), { name: 'InvalidHuntRequestError', reason: 'unknownBuilding' });
  });
});
