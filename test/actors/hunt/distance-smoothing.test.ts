import assert from 'node:assert/strict';
import { distanceFromRssiM } from '../../../actors/hunt/distance.js';
import { ewma, updateSmoothing } from '../../../actors/hunt/smoothing.js';

describe('hunt: distance from RSSI (log-distance path loss)', () => {
  const table: Array<[txPowerDbm: number, rssiDbm: number, n: number, metres: number]> = [
    [-59, -59, 2, 1],
    [-59, -79, 2, 10],
    [-59, -69, 2, 3.1622776601683795],
    [-59, -89, 3, 10],
    [-65, -71, 2.5, 1.7378008287493754],
    [-59, -49, 2, 0.31622776601683794],
  ];
  for (const [tx, rssi, n, metres] of table) {
    it(`tx ${tx} dBm, rssi ${rssi} dBm, n ${n} -> ${metres} m`, () => {
      assert.equal(distanceFromRssiM(tx, rssi, n), metres);
    });
  }
});

describe('hunt: RSSI smoothing (EWMA per beacon)', () => {
  const config = { alpha: 0.3, staleAfterMs: 10_000, maxBeacons: 3 };

  it('ewma folds readings with weight alpha: -70 then -60, -80, -70 -> -67, -70.9, -70.63', () => {
    let s = -70;
    const seen: number[] = [];
    for (const x of [-60, -80, -70]) seen.push((s = ewma(s, x, 0.3)));
    assert.deepEqual(seen, [-67, -70.9, -70.63]);
  });

  it('first reading of a beacon is taken as is; later ones are averaged; others are kept', () => {
    let st = updateSmoothing([], [{ beaconId: 'a', rssiDbm: -70 }, { beaconId: 'b', rssiDbm: -80 }], 1_000, config);
    assert.deepEqual(st, [
      { beaconId: 'a', rssiDbm: -70, heardAtMs: 1_000 },
      { beaconId: 'b', rssiDbm: -80, heardAtMs: 1_000 },
    ]);
    st = updateSmoothing(st, [{ beaconId: 'a', rssiDbm: -60 }], 2_000, config);
    assert.deepEqual(st, [
      { beaconId: 'a', rssiDbm: -67, heardAtMs: 2_000 },
      { beaconId: 'b', rssiDbm: -80, heardAtMs: 1_000 },
    ]);
  });

  it('a beacon not heard for staleAfterMs is dropped and restarts from its next reading', () => {
    const st0 = () => [{ beaconId: 'a', rssiDbm: -67, heardAtMs: 0 }];
    assert.deepEqual(updateSmoothing(st0(), [], 9_999, config), st0());
    assert.deepEqual(updateSmoothing(st0(), [], 10_000, config), []);
    assert.deepEqual(updateSmoothing(st0(), [{ beaconId: 'a', rssiDbm: -90 }], 10_000, config), [{ beaconId: 'a', rssiDbm: -90, heardAtMs: 10_000 }]);
  });

  it('keeps at most maxBeacons, the most recently heard and then the strongest', () => {
    const st0 = [
      { beaconId: 'old', rssiDbm: -50, heardAtMs: 1_000 },
      { beaconId: 'x', rssiDbm: -70, heardAtMs: 2_000 },
    ];
    const st = updateSmoothing(st0, [{ beaconId: 'y', rssiDbm: -75 }, { beaconId: 'z', rssiDbm: -65 }], 2_000, config);
    assert.deepEqual(st.map((s) => s.beaconId), ['z', 'x', 'y']);
  });

  it('updates in place and returns the same array (no allocation for known beacons)', () => {
    const entry = { beaconId: 'a', rssiDbm: -70, heardAtMs: 0 };
    const st0 = [entry];
    const st1 = updateSmoothing(st0, [{ beaconId: 'a', rssiDbm: -60 }], 1, config);
    assert.equal(st1, st0);
    assert.equal(st1[0], entry);
    assert.deepEqual(entry, { beaconId: 'a', rssiDbm: -67, heardAtMs: 1 });
  });
});
