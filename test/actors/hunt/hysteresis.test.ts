import assert from 'node:assert/strict';
import { chooseClosest, NO_CLOSEST, type ClosestState } from '../../../actors/hunt/hysteresis.js';

const config = { marginM: 1.5, confirmFixes: 3, maxDistanceM: 15 };

/** Runs fixes of [beaconId, distanceM][] and returns the current beacon after each. */
function run(fixes: Array<Array<[string, number]>>, start: ClosestState = NO_CLOSEST): Array<string | null> {
  let s = start;
  return fixes.map((f) => (s = chooseClosest(s, f.map(([beaconId, distanceM]) => ({ beaconId, distanceM })), config)).currentBeaconId);
}

describe('hunt: closest beacon with hysteresis', () => {
  const table: Array<{ name: string; fixes: Array<Array<[string, number]>>; expect: Array<string | null> }> = [
    { name: 'first beacon in range is entered at once', fixes: [[['a', 4], ['b', 6]]], expect: ['a'] },
    { name: 'nothing in range: no current beacon', fixes: [[['a', 16]]], expect: [null] },
    { name: 'exactly maxDistanceM is in range', fixes: [[['a', 15]]], expect: ['a'] },
    {
      name: 'standing between two beacons does not flap (challenger never nearer by the margin)',
      fixes: [[['a', 3], ['b', 3.5]], [['a', 3.4], ['b', 3]], [['a', 3], ['b', 3.2]], [['a', 3.6], ['b', 2.9]], [['a', 3.3], ['b', 2.5]]],
      expect: ['a', 'a', 'a', 'a', 'a'],
    },
    {
      name: 'a challenger nearer by >= 1.5 m on 3 consecutive fixes takes over on the third',
      fixes: [[['a', 3]], [['a', 5], ['b', 3.5]], [['a', 5], ['b', 3.5]], [['a', 5], ['b', 3.5]]],
      expect: ['a', 'a', 'a', 'b'],
    },
    {
      name: 'a fix that misses the margin resets the streak',
      fixes: [[['a', 3]], [['a', 5], ['b', 3]], [['a', 5], ['b', 3]], [['a', 4], ['b', 3]], [['a', 5], ['b', 3]], [['a', 5], ['b', 3]], [['a', 5], ['b', 3]]],
      expect: ['a', 'a', 'a', 'a', 'a', 'a', 'b'],
    },
    {
      name: 'a different challenger restarts the count',
      fixes: [[['a', 6]], [['a', 6], ['b', 2]], [['a', 6], ['c', 1]], [['a', 6], ['c', 1]], [['a', 6], ['c', 1]]],
      expect: ['a', 'a', 'a', 'a', 'c'],
    },
    {
      name: 'current beacon no longer heard counts as infinitely far, still needs confirmation',
      fixes: [[['a', 2]], [['b', 14]], [['b', 14]], [['b', 14]]],
      expect: ['a', 'a', 'a', 'b'],
    },
    {
      name: 'out of range of everything: the current beacon stays',
      fixes: [[['a', 2]], [], [['a', 40], ['b', 30]]],
      expect: ['a', 'a', 'a'],
    },
    { name: 'equal distances: the smaller id wins', fixes: [[['b', 3], ['a', 3]]], expect: ['a'] },
  ];
  for (const row of table) {
    it(row.name, () => assert.deepEqual(run(row.fixes), row.expect));
  }

  it('keeps the challenger and count in the state between fixes', () => {
    const s1 = chooseClosest({ currentBeaconId: 'a', challengerBeaconId: null, challengerFixes: 0 }, [{ beaconId: 'a', distanceM: 5 }, { beaconId: 'b', distanceM: 2 }], config);
    assert.deepEqual(s1, { currentBeaconId: 'a', challengerBeaconId: 'b', challengerFixes: 1 });
    const s2 = chooseClosest(s1, [{ beaconId: 'a', distanceM: 2 }, { beaconId: 'b', distanceM: 5 }], config);
    assert.deepEqual(s2, { currentBeaconId: 'a', challengerBeaconId: null, challengerFixes: 0 });
  });
});
