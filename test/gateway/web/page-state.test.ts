import assert from 'node:assert/strict';
import type { Event, FixAck, Leaderboard, TreasureList } from '../../../proto/gen/hunt.js';
import { DEFAULT_FEED_LENGTH, applyEvent, applyFixAck, applyLeaderboard, applyTreasureList, countFailedFix, enterBuilding, initialPageState, resumeRequest, type PageState } from '../../../gateway/web/page-state.js';

const ME = 'alice';
const ev = (channel: string, seq: number, prevSeq: number, body: Event['body']): Event => ({ seq, atMs: 1_000 + seq, channel, prevSeq, body });
const award = (beaconId: string, points: number): Event['body'] => ({ $case: 'award', value: { beaconId, points, reason: 'first visit' } });
const list = (buildingId: string, version: number, claimedBy: string[] = []): TreasureList => ({ buildingId, version, treasures: [{ id: 't1', name: 'Key', capacity: 2, claimedBy }] });
const board = (asOfMs: number, ownScore: number): Leaderboard => ({ top: [{ playerId: ME, score: ownScore, rank: 1 }], own: { playerId: ME, score: ownScore, rank: 1 }, asOfMs });
const fold = (events: Event[], from: PageState = initialPageState) => events.reduce((s, e) => applyEvent(s, e, ME), from);
const buildingOf = (beaconId: string) => ({ k1: 'hq', k2: 'hq', k3: 'annex' })[beaconId];

describe('gateway/web page state', () => {
  it('advances the cursor per channel and drops replays at or below it', () => {
    const s = fold([
      ev('user.alice', 3, 0, award('k1', 10)),
      ev('all', 4, 0, { $case: 'winner', value: { playerId: 'bob', decidedAtMs: 5 } }),
      ev('user.alice', 7, 3, award('k2', 20)),
      ev('user.alice', 7, 3, award('k2', 20)),
      ev('user.alice', 3, 0, award('k1', 10)),
    ]);
    assert.deepEqual(s.cursor, { 'user.alice': 7, all: 4 });
    assert.deepEqual(s.feed.map((f) => [f.seq, f.award.beaconId]), [[7, 'k2'], [3, 'k1']]);
    assert.deepEqual(s.gaps, []);
    assert.deepEqual(s.winner, { playerId: 'bob', decidedAtMs: 5 });
  });

  it('records a gap when prevSeq is beyond the channel cursor, and never on a channel first event', () => {
    const table: Array<[string, Event[], PageState['gaps']]> = [
      ['chained', [ev('user.alice', 2, 0, award('k1', 1)), ev('user.alice', 9, 2, award('k2', 1))], []],
      ['lost between', [ev('user.alice', 2, 0, award('k1', 1)), ev('user.alice', 9, 5, award('k2', 1))], [{ channel: 'user.alice', afterSeq: 2, beforeSeq: 9 }]],
      ['first event after retention ran out', [ev('user.alice', 9, 5, award('k2', 1))], []],
      ['other channel does not count', [ev('user.alice', 2, 0, award('k1', 1)), ev('building.hq', 9, 5, undefined)], []],
      ['building channel gap', [ev('building.hq', 4, 0, undefined), ev('building.hq', 12, 8, undefined)], [{ channel: 'building.hq', afterSeq: 4, beforeSeq: 12 }]],
      ['no channel = own channel', [ev('', 2, 0, award('k1', 1)), ev('user.alice', 9, 5, award('k2', 1))], [{ channel: 'user.alice', afterSeq: 2, beforeSeq: 9 }]],
    ];
    for (const [name, events, gaps] of table) assert.deepEqual(fold(events).gaps, gaps, name);
  });

  it(`keeps the newest ${DEFAULT_FEED_LENGTH} awards, newest first`, () => {
    const s = fold(Array.from({ length: 12 }, (_, i) => ev('user.alice', i + 1, i, award(`k${i + 1}`, i + 1))));
    assert.deepEqual(s.feed.map((f) => f.seq), [12, 11, 10, 9, 8, 7, 6, 5]);
  });

  it('adds each achievement once, from events and acks', () => {
    let s = fold([ev('user.alice', 1, 0, { $case: 'achievement', value: 'sprinter' }), ev('user.alice', 2, 1, { $case: 'achievement', value: 'sprinter' })]);
    const ack: FixAck = { accepted: true, closestBeaconId: '', score: 5, awards: [], achievements: ['sprinter', 'complete-hq'], claimedTreasures: [] };
    s = applyFixAck(s, ack, buildingOf);
    assert.deepEqual(s.achievements, ['sprinter', 'complete-hq']);
  });

  it('takes the score, closest beacon and building from an accepted ack; a refused ack only counts', () => {
    const ok: FixAck = { accepted: true, closestBeaconId: 'k3', score: 40, awards: [], achievements: [], claimedTreasures: [] };
    let s = applyFixAck(initialPageState, ok, buildingOf);
    assert.deepEqual([s.score, s.closestBeaconId, s.buildingId, s.fixesSent, s.fixesAccepted], [40, 'k3', 'annex', 1, 1]);
    s = applyFixAck(s, { ...ok, accepted: false, score: 999, closestBeaconId: 'k1' }, buildingOf);
    assert.deepEqual([s.score, s.closestBeaconId, s.buildingId, s.fixesSent, s.fixesAccepted], [40, 'k3', 'annex', 2, 1]);
    s = countFailedFix(s);
    assert.deepEqual([s.fixesSent, s.fixesAccepted], [3, 1]);
  });

  it('shows only the current building treasure list, never an older version', () => {
    let s = enterBuilding(initialPageState, 'hq');
    s = applyTreasureList(s, list('annex', 5));
    assert.equal(s.treasureList, undefined, 'other building ignored');
    s = applyTreasureList(s, list('hq', 3, ['bob']));
    s = applyTreasureList(s, list('hq', 2));
    assert.deepEqual(s.treasureList, list('hq', 3, ['bob']), 'older version ignored');
    s = applyEvent(s, ev('building.hq', 10, 0, { $case: 'treasureList', value: list('hq', 4, ['bob', ME]) }), ME);
    assert.equal(s.treasureList?.version, 4);
    s = applyEvent(s, ev('user.alice', 11, 0, { $case: 'buildingEntered', value: 'annex' }), ME);
    assert.deepEqual([s.buildingId, s.treasureList], ['annex', undefined], 'entering another building drops the old list');
  });

  it('adopts the building of a streamed treasure list before any fix placed the player', () => {
    const s = applyEvent(initialPageState, ev('building.hq', 5, 0, { $case: 'treasureList', value: list('hq', 1) }), ME);
    assert.deepEqual([s.buildingId, s.treasureList?.version], ['hq', 1]);
  });

  it('keeps the newest leaderboard and takes its own score only before the first accepted fix', () => {
    let s = applyLeaderboard(initialPageState, board(100, 30));
    assert.equal(s.score, 30);
    s = applyLeaderboard(s, board(50, 10));
    assert.equal(s.leaderboard?.asOfMs, 100, 'older view ignored');
    s = applyFixAck(s, { accepted: true, closestBeaconId: '', score: 45, awards: [], achievements: [], claimedTreasures: [] }, buildingOf);
    s = applyLeaderboard(s, board(200, 40));
    assert.deepEqual([s.leaderboard?.asOfMs, s.score], [200, 45], 'ack score is authoritative once there is one');
  });

  it('builds the resume request from the cursor: own channel in after_seq, the others in cursors', () => {
    assert.deepEqual(resumeRequest(ME, initialPageState), { playerId: ME, afterSeq: 0, cursors: [] });
    assert.deepEqual(resumeRequest(ME, { cursor: { 'user.alice': 12, all: 9, 'building.hq': 11 } }), {
      playerId: ME,
      afterSeq: 12,
      cursors: [
        { channel: 'all', afterSeq: 9 },
        { channel: 'building.hq', afterSeq: 11 },
      ],
    });
  });
});
