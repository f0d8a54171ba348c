import assert from 'node:assert/strict';
import { rssiAt, seededRandom, Walker, DEFAULT_WALK_OPTIONS, type SimBeacon } from '../../scripts/sim/walker.js';

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
});
