import assert from 'node:assert/strict';
import type { MapBeacon } from '../../../gateway/web/hunt-map.js';
import { DEFAULT_SCAN_OPTIONS, estimatePosition, gaussian, makeFix, nextClientSeq, pathLossRssiDbm, simulateScan, stepFor } from '../../../gateway/web/walk.js';

const beacon = (id: string, xM: number, yM: number, txPowerDbm = -60, pathLossExponent = 2): MapBeacon => ({ id, buildingId: 'hq', position: { xM, yM }, txPowerDbm, pathLossExponent });
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: expected ${b}, got ${a}`);
/** A scripted uniform source: returns the given values in turn. */
const script = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('gateway/web walk simulation', () => {
  it('follows the log-distance path-loss model, clamping distances under 0.5 m', () => {
    const table: Array<[number, number, number, number]> = [
      [-60, 2, 1, -60],
      [-60, 2, 10, -80],
      [-65, 2.3, 100, -111],
      [-59, 3, 10, -89],
      [-60, 2, 0.5, -60 + 20 * Math.log10(2)],
      [-60, 2, 0, -60 + 20 * Math.log10(2)],
    ];
    for (const [tx, n, d, rssi] of table) near(pathLossRssiDbm(tx, n, d), rssi, `tx ${tx} n ${n} d ${d}`);
  });

  it('draws Box-Muller normals from two uniforms', () => {
    near(gaussian(script(0.5, 0)), Math.sqrt(-2 * Math.log(0.5)), 'u=0.5 v=0');
    near(gaussian(script(0.5, 0.5)), -Math.sqrt(-2 * Math.log(0.5)), 'u=0.5 v=0.5');
    near(gaussian(script(0, 0.25)), 0, 'u=1 (from 0) gives radius 0');
  });

  it('hears beacons above sensitivity, strongest first, at most maxReadings, rounded to 0.1 dB', () => {
    const beacons = [beacon('far', 300, 0), beacon('mid', 10, 0), beacon('close', 0, 2), beacon('edge', 0, 50)];
    const quiet = { ...DEFAULT_SCAN_OPTIONS, noiseSigmaDb: 0 };
    // -60 - 20·log10(50) = -93.98 dBm: heard at the default -95 dBm, not at -90.
    assert.deepEqual(simulateScan({ xM: 0, yM: 0 }, beacons, script(0.5), quiet), [
      { beaconId: 'close', rssiDbm: -66 },
      { beaconId: 'mid', rssiDbm: -80 },
      { beaconId: 'edge', rssiDbm: -94 },
    ]);
    assert.deepEqual(simulateScan({ xM: 0, yM: 0 }, beacons, script(0.5), { ...quiet, sensitivityDbm: -90 }).map((r) => r.beaconId), ['close', 'mid']);
    assert.deepEqual(simulateScan({ xM: 0, yM: 0 }, beacons, script(0.5), { ...quiet, maxReadings: 1 }).map((r) => r.beaconId), ['close']);
  });

  it('adds noiseSigmaDb times a standard normal to each reading', () => {
    // u=0.5, v=0 gives +1.1774 sigma for every beacon.
    const [r] = simulateScan({ xM: 0, yM: 0 }, [beacon('b', 10, 0)], script(0.5, 0), { ...DEFAULT_SCAN_OPTIONS, noiseSigmaDb: 2 });
    assert.equal(r!.rssiDbm, Math.round((-80 + 2 * Math.sqrt(-2 * Math.log(0.5))) * 10) / 10);
  });

  it('never repeats or goes back on client_seq, and keeps up with the wall clock', () => {
    const table: Array<[number, number, number]> = [
      [0, 1_700_000_000_000, 1_700_000_000_000],
      [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_001],
      [1_700_000_000_005, 1_699_999_999_000, 1_700_000_000_006],
      [10, 20.7, 20],
    ];
    for (const [prev, now, next] of table) assert.equal(nextClientSeq(prev, now), next, `prev ${prev} now ${now}`);
    assert.deepEqual(makeFix('alice', 7, 1234.9, [{ beaconId: 'b', rssiDbm: -70 }]), { playerId: 'alice', clientSeq: 7, clientTimeMs: 1234, readings: [{ beaconId: 'b', rssiDbm: -70 }], gps: undefined });
  });

  it('estimates position as the power-weighted centroid of the strongest beacons', () => {
    const byId = new Map([beacon('a', 0, 0), beacon('b', 10, 0), beacon('c', 0, 100)].map((b) => [b.id, b]));
    assert.deepEqual(estimatePosition([{ beaconId: 'a', rssiDbm: -70 }, { beaconId: 'b', rssiDbm: -70 }], byId), { xM: 5, yM: 0 });
    // 10 dB stronger is 10x the weight.
    const p = estimatePosition([{ beaconId: 'a', rssiDbm: -60 }, { beaconId: 'b', rssiDbm: -70 }], byId)!;
    near(p.xM, 10 / 11, 'x');
    assert.deepEqual(estimatePosition([{ beaconId: 'a', rssiDbm: -70 }, { beaconId: 'b', rssiDbm: -70 }, { beaconId: 'c', rssiDbm: -70 }], byId, 2), { xM: 5, yM: 0 });
    assert.deepEqual(estimatePosition([{ beaconId: 'unknown', rssiDbm: -50 }, { beaconId: 'c', rssiDbm: -90 }], byId), { xM: 0, yM: 100 });
    assert.equal(estimatePosition([], byId), undefined);
  });

  it('moves the marker one step per arrow key, north up', () => {
    const from = { xM: 10, yM: 10 };
    assert.deepEqual(stepFor(from, 'ArrowUp'), { xM: 10, yM: 15 });
    assert.deepEqual(stepFor(from, 'ArrowDown'), { xM: 10, yM: 5 });
    assert.deepEqual(stepFor(from, 'ArrowLeft', 2), { xM: 8, yM: 10 });
    assert.deepEqual(stepFor(from, 'ArrowRight'), { xM: 15, yM: 10 });
    assert.equal(stepFor(from, 'a'), undefined);
  });
});
