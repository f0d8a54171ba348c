import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { beaconsNearSegment, rssiAt, seededRandom, Walker, DEFAULT_WALK_OPTIONS, type SimBeacon } from '../../scripts/sim/walker.js';

const a: SimBeacon = { id: 'a', position: { xM: 0, yM: 0 }, txPowerDbm: -59, pathLossExponent: 2 };
const b: SimBeacon = { id: 'b', position: { xM: 14, yM: 0 }, txPowerDbm: -59, pathLossExponent: 2 };

describe('scripts/sim/walker', () => {
  it('rssiAt follows the log-distance model exactly', () => {
    assert.equal(rssiAt(a, 1), -59);
    assert.equal(rssiAt(a, 10), -79);
    assert.equal(rssiAt({ ...a, pathLossExponent: 3 }, 100), -119);
    assert.equal(rssiAt(a, 0), -59);
  });

  it('seededRandom is reproducible', () => {
    const r1 = seededRandom(42);
    const r2 = seededRandom(42);
    const s1 = [r1(), r1(), r1()];
    assert.deepEqual(s1, [r2(), r2(), r2()]);
    assert.ok(s1.every((x) => x >= 0 && x < 1));
  });

  it('dwells, walks the leg at the configured speed, then hears the next beacon loudest', () => {
    const opts = { ...DEFAULT_WALK_OPTIONS, speedMps: 1.4, dwellMs: 1000, rssiNoiseDb: 0 };
    const w = new Walker([a, b], 7, 0, opts);
    const start = { x: w.x, y: w.y };
    w.advance(500);
    assert.deepEqual({ x: w.x, y: w.y }, start, 'still dwelling');
    w.advance(1000 + 5000); // 5 s at 1.4 m/s = 7 m, half of the 14 m leg
    assert.equal(Math.round(Math.abs(w.x - start.x)), 7);
    w.advance(1000 + 10_000 + 500); // arrived, dwelling at the other beacon
    const heard = w.readings();
    assert.equal(heard[0]!.beaconId, start.x === 0 ? 'b' : 'a');
    assert.equal(heard[0]!.rssiDbm, -59);
  });

  it('beaconsNearSegment keeps the beacons within range of any point of the leg, in their order', () => {
    const at = (id: string, xM: number, yM: number): SimBeacon => ({ id, position: { xM, yM }, txPowerDbm: -59, pathLossExponent: 2 });
    const all = [at('before', -41, 0), at('start', -40, 0), at('above', 50, 40), at('over', 50, 40.1), at('end', 140, 0), at('past', 100, 40), at('diag', 128.3, 28.3), at('diagIn', 128.28, 28.28)];
    const ids = (bs: SimBeacon[]) => bs.map((b) => b.id);
    assert.deepEqual(ids(beaconsNearSegment(all, { xM: 0, yM: 0 }, { xM: 100, yM: 0 }, 40)), ['start', 'above', 'end', 'past', 'diagIn']);
    assert.deepEqual(ids(beaconsNearSegment(all, { xM: 0, yM: 0 }, { xM: 0, yM: 0 }, 40)), ['start'], 'a leg of length 0 is a point');
  });

  it('walks and hears exactly as the full scan of every beacon did (city hunt, 20 walkers, 100 fixes each)', () => {
    const beacons = loadHuntFile('actors/hunt/samples/city-hunt.json').beacons;
    const w7 = new Walker(beacons, 7, 0);
    w7.advance(0);
    assert.deepEqual(w7.readings(), [
      { beaconId: 'k003', rssiDbm: -60.9 },
      { beaconId: 'k103', rssiDbm: -80 },
      { beaconId: 'k043', rssiDbm: -94 },
      { beaconId: 'k243', rssiDbm: -95.6 },
    ]);
    // Recorded with the walker before it scanned only the leg's neighbours: same beacons, same noise draws.
    const hash = createHash('sha256');
    let readings = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const w = new Walker(beacons, seed, 0);
      for (let t = 0; t < 100; t++) {
        w.advance(t * 3_300);
        const r = w.readings();
        readings += r.length;
        hash.update(JSON.stringify(r));
      }
    }
    assert.equal(readings, 2560);
    assert.equal(hash.digest('hex'), '85a3807c72f5e64c13c83802b892f11362540a4627ac4bef2e54fb2f7f0e69a3');
  });
});
