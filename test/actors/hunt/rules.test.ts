import assert from 'node:assert/strict';
import { isAchieved, meetsWinCondition, newAchievements, pruneRecent, type AchievementFacts } from '../../../actors/hunt/achievements.js';
import { validateHunt, type HuntDefinition } from '../../../actors/hunt/definition.js';
import { indexHunt } from '../../../actors/hunt/hunt-index.js';
import { mergeDesc, rankOf, rankTop, sortDesc, topEntries } from '../../../actors/hunt/ranking.js';
import { evaluateVisit, windowMultiplier } from '../../../actors/hunt/rules.js';

const T0 = Date.parse('2026-06-13T12:00:00Z');
const MIN = 60_000;

const hunt: HuntDefinition = validateHunt({
  id: 'rules',
  name: 'rules',
  start: '2026-06-13T10:00:00Z',
  end: '2026-06-13T22:00:00Z',
  utcOffset: '+02:00',
  buildings: [
    { id: 'hq', name: 'HQ', position: { xM: 0, yM: 0 }, treasures: [{ id: 'crown', name: 'Crown', capacity: 3, points: 300 }] },
    { id: 'lab', name: 'Lab', position: { xM: 100, yM: 0 } },
  ],
  beacons: [
    { id: 'a', buildingId: 'hq', position: { xM: 0, yM: 0 }, txPowerDbm: -59, rules: [{ type: 'visitPoints', firstVisitPoints: 100, repeatVisitPoints: 10, repeatCooldownMinutes: 10 }, { type: 'treasure', treasureId: 'crown' }] },
    { id: 'b', buildingId: 'hq', position: { xM: 5, yM: 0 }, txPowerDbm: -59, rules: [{ type: 'visitPoints', firstVisitPoints: 75 }] },
    { id: 'trap', buildingId: 'lab', position: { xM: 100, yM: 0 }, txPowerDbm: -59, rules: [{ type: 'visitPoints', firstVisitPoints: -225 }] },
    { id: 'c', buildingId: 'lab', position: { xM: 105, yM: 0 }, txPowerDbm: -59, rules: [{ type: 'visitPoints', firstVisitPoints: 33 }] },
  ],
  windows: [
    // 18:00-18:30 local (+02:00) = 16:00-16:30 UTC, every day.
    { id: 'happy-hour', dailyStart: '18:00', dailyEnd: '18:30', multiplier: 2 },
    { id: 'lab-rush', start: '2026-06-13T16:15:00Z', end: '2026-06-13T16:45:00Z', multiplier: 1.5, beaconIds: ['c', 'trap'] },
  ],
  achievements: [
    { id: 'hq-complete', type: 'allBeaconsOfBuilding', buildingId: 'hq', points: 500 },
    { id: 'sprinter', type: 'distinctBeaconsWithin', count: 3, withinMinutes: 10, points: 200 },
  ],
  win: { scoreAtLeast: 1000, achievements: ['hq-complete'] },
});
const index = indexHunt(hunt);
const beacon = (id: string) => index.beacons.get(id)!;
const at = (hhmmUtc: string): number => Date.parse(`2026-06-13T${hhmmUtc}:00Z`);

describe('hunt: rules engine (beacon rules)', () => {
  const table: Array<{ name: string; beacon: string; atMs: number; firstVisit: boolean; lastPointsAtMs: number | null; awards: Array<[number, string]>; treasures: string[] }> = [
    { name: 'first visit: first-visit points and the treasure claim', beacon: 'a', atMs: T0, firstVisit: true, lastPointsAtMs: null, awards: [[100, 'first-visit']], treasures: ['crown'] },
    { name: 'repeat inside the cooldown: nothing (claim still attempted)', beacon: 'a', atMs: T0 + 9 * MIN + 59_999, firstVisit: false, lastPointsAtMs: T0, awards: [], treasures: ['crown'] },
    { name: 'repeat exactly at the cooldown: repeat points', beacon: 'a', atMs: T0 + 10 * MIN, firstVisit: false, lastPointsAtMs: T0, awards: [[10, 'repeat-visit']], treasures: ['crown'] },
    { name: 'repeat with zero repeat points: no award', beacon: 'b', atMs: T0 + 60 * MIN, firstVisit: false, lastPointsAtMs: T0, awards: [], treasures: [] },
    { name: 'trap: negative points', beacon: 'trap', atMs: T0, firstVisit: true, lastPointsAtMs: null, awards: [[-225, 'first-visit']], treasures: [] },
    { name: 'daily window 18:00 local opens at 16:00 UTC: double points', beacon: 'b', atMs: at('16:00'), firstVisit: true, lastPointsAtMs: null, awards: [[150, 'first-visit x2 (happy-hour)']], treasures: [] },
    { name: 'daily window is end-exclusive (18:30 local)', beacon: 'b', atMs: at('16:30'), firstVisit: true, lastPointsAtMs: null, awards: [[75, 'first-visit']], treasures: [] },
    { name: 'one minute before the window: plain points', beacon: 'b', atMs: at('15:59'), firstVisit: true, lastPointsAtMs: null, awards: [[75, 'first-visit']], treasures: [] },
    { name: 'two windows multiply and round: 33 x3 = 99', beacon: 'c', atMs: at('16:20'), firstVisit: true, lastPointsAtMs: null, awards: [[99, 'first-visit x3 (happy-hour, lab-rush)']], treasures: [] },
    { name: 'a doubled-and-a-half trap: -225 x3 = -675', beacon: 'trap', atMs: at('16:20'), firstVisit: true, lastPointsAtMs: null, awards: [[-675, 'first-visit x3 (happy-hour, lab-rush)']], treasures: [] },
    { name: 'window limited to other beacons does not apply', beacon: 'a', atMs: at('16:40'), firstVisit: true, lastPointsAtMs: null, awards: [[100, 'first-visit']], treasures: ['crown'] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const out = evaluateVisit(index, beacon(row.beacon), { atMs: row.atMs, firstVisit: row.firstVisit, lastPointsAtMs: row.lastPointsAtMs });
      assert.equal(out.inHunt, true);
      assert.deepEqual(out.awards.map((a) => [a.points, a.reason]), row.awards);
      assert.ok(out.awards.every((a) => a.beaconId === row.beacon));
      assert.deepEqual(out.treasureIds, row.treasures);
    });
  }

  it('outside the hunt window nothing is awarded or claimed (end exclusive)', () => {
    for (const atMs of [Date.parse(hunt.start) - 1, Date.parse(hunt.end)]) {
      assert.deepEqual(evaluateVisit(index, beacon('a'), { atMs, firstVisit: true, lastPointsAtMs: null }), { inHunt: false, awards: [], treasureIds: [] });
    }
    assert.equal(evaluateVisit(index, beacon('a'), { atMs: Date.parse(hunt.start), firstVisit: true, lastPointsAtMs: null }).inHunt, true);
  });

  it('window multiplier table', () => {
    assert.deepEqual(
      [at('15:59'), at('16:00'), at('16:15'), at('16:29'), at('16:30'), at('16:45')].map((t) => windowMultiplier(index, 'c', t).multiplier),
      [1, 2, 3, 3, 1.5, 1],
    );
  });
});

describe('hunt: rules engine (achievements, win condition)', () => {
  const facts = (visited: string[], recent: Array<[string, number]>, atMs: number, earned: string[] = []): AchievementFacts => ({
    atMs,
    hasVisited: (id) => visited.includes(id),
    recent: recent.map(([beaconId, t]) => ({ beaconId, atMs: t })),
    earned: new Set(earned),
  });
  const sprinter = index.achievements.get('sprinter')!;
  const hq = index.achievements.get('hq-complete')!;

  it('all beacons of a building: only when every one was visited', () => {
    assert.equal(isAchieved(index, hq, facts(['a'], [], T0)), false);
    assert.equal(isAchieved(index, hq, facts(['a', 'b'], [], T0)), true);
  });

  it('N distinct beacons within T minutes: window is (atMs - T, atMs], repeats do not count', () => {
    assert.equal(isAchieved(index, sprinter, facts([], [['a', T0], ['b', T0 + MIN], ['a', T0 + 2 * MIN]], T0 + 2 * MIN)), false);
    assert.equal(isAchieved(index, sprinter, facts([], [['a', T0], ['b', T0 + MIN], ['c', T0 + 9 * MIN]], T0 + 9 * MIN)), true);
    assert.equal(isAchieved(index, sprinter, facts([], [['a', T0], ['b', T0 + MIN], ['c', T0 + 10 * MIN]], T0 + 10 * MIN)), false);
  });

  it('newAchievements skips earned ones and keeps definition order', () => {
    const f = facts(['a', 'b'], [['a', T0], ['b', T0 + MIN], ['c', T0 + 2 * MIN]], T0 + 2 * MIN);
    assert.deepEqual(newAchievements(index, f).map((a) => a.id), ['hq-complete', 'sprinter']);
    assert.deepEqual(newAchievements(index, { ...f, earned: new Set(['hq-complete']) }).map((a) => a.id), ['sprinter']);
  });

  it('pruneRecent keeps only visits inside the widest window', () => {
    assert.deepEqual(pruneRecent([{ beaconId: 'a', atMs: T0 }, { beaconId: 'b', atMs: T0 + MIN }], T0 + 10 * MIN, index.recentVisitsKeepMs), [{ beaconId: 'b', atMs: T0 + MIN }]);
  });

  it('win condition needs every given part', () => {
    assert.deepEqual(
      [
        [999, ['hq-complete']],
        [1000, []],
        [1000, ['hq-complete']],
      ].map(([score, ach]) => meetsWinCondition(hunt.win, score as number, new Set(ach as string[]))),
      [false, false, true],
    );
  });
});

describe('hunt: ranking', () => {
  it('competition ranks ("1224") and deterministic ties by player id', () => {
    assert.deepEqual(
      rankTop([{ playerId: 'c', score: 5 }, { playerId: 'a', score: 9 }, { playerId: 'b', score: 5 }, { playerId: 'd', score: 1 }], 3),
      [{ playerId: 'a', score: 9, rank: 1 }, { playerId: 'b', score: 5, rank: 2 }, { playerId: 'c', score: 5, rank: 2 }],
    );
    const scores = mergeDesc([[9, 5], [5, 1], []]);
    assert.deepEqual(scores, [9, 5, 5, 1]);
    assert.deepEqual([10, 9, 5, 4, 1, 0].map((s) => rankOf(scores, s)), [1, 1, 2, 4, 4, 5]);
  });

  it('sortDesc handles negatives and ties; topEntries keeps every tie at the cut, then cuts by id', () => {
    assert.deepEqual(sortDesc([3, -450, 10, 3, 0]), [10, 3, 3, 0, -450]);
    const entries = [{ playerId: 'd', score: 3 }, { playerId: 'a', score: 10 }, { playerId: 'c', score: 3 }, { playerId: 'b', score: -450 }];
    assert.deepEqual(topEntries(entries, sortDesc(entries.map((e) => e.score)), 2), [{ playerId: 'a', score: 10 }, { playerId: 'c', score: 3 }]);
    assert.deepEqual(topEntries(entries, sortDesc(entries.map((e) => e.score)), 9).map((e) => e.playerId), ['a', 'c', 'd', 'b']);
    assert.deepEqual(topEntries([], [], 3), []);
  });
});
