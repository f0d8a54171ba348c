import assert from 'node:assert/strict';
import { HuntMapError, buildingOfBeacon, formatViewBox, zoomViewBox, mapBounds, parseHuntMap, startPosition, toHuntMap, viewBoxFor, START_OFFSET_M } from '../../../gateway/web/hunt-map.js';
import { SMALL_HUNT } from './support/small-hunt.js';

describe('gateway/web hunt map', () => {
  it('projects the definition to public map fields only (no rules, windows, achievements or win)', () => {
    const map = toHuntMap(SMALL_HUNT);
    assert.deepEqual(map, {
      id: 'small',
      name: 'Small hunt',
      buildings: [
        {
          id: 'hq',
          name: 'Headquarters',
          position: { xM: 0, yM: 0 },
          outline: [{ xM: -10, yM: -10 }, { xM: 10, yM: -10 }, { xM: 10, yM: 10 }, { xM: -10, yM: 10 }],
          treasures: [{ id: 'hq-key', name: 'Golden Key', capacity: 2 }],
        },
        { id: 'annex', name: 'Annex', position: { xM: 100, yM: 50 }, treasures: [] },
      ],
      beacons: [
        { id: 'k1', buildingId: 'hq', position: { xM: 0, yM: 5 }, txPowerDbm: -60, pathLossExponent: 2 },
        { id: 'k2', buildingId: 'annex', position: { xM: 100, yM: 50 }, txPowerDbm: -62, pathLossExponent: 2.5 },
      ],
    });
    assert.doesNotMatch(JSON.stringify(map), /rules|treasureId|firstVisitPoints|"points"|windows|win/);
    assert.deepEqual(parseHuntMap(JSON.parse(JSON.stringify(map))), map);
  });

  it('rejects a malformed map document naming the path', () => {
    const good = toHuntMap(SMALL_HUNT);
    const table: Array<[unknown, RegExp]> = [
      [null, /\(root\): expected an object/],
      [{ ...good, beacons: undefined }, /\(root\): expected buildings and beacons arrays/],
      [{ ...good, buildings: [{ ...good.buildings[0], position: { xM: 'a', yM: 0 } }] }, /buildings\[0\]\.position: expected finite xM and yM/],
      [{ ...good, buildings: [{ ...good.buildings[0], outline: [{ xM: 0 }] }] }, /buildings\[0\]\.outline\[0\]/],
      [{ ...good, beacons: [{ ...good.beacons[0], txPowerDbm: null }] }, /beacons\[0\]\.txPowerDbm: expected a finite number/],
      [{ ...good, beacons: [{ ...good.beacons[0], pathLossExponent: 0 }] }, /beacons\[0\]\.pathLossExponent: expected a positive number/],
    ];
    for (const [doc, message] of table) {
      assert.throws(() => parseHuntMap(doc), (err: Error) => err instanceof HuntMapError && err.name === 'HuntMapError' && message.test(err.message), String(message));
    }
  });

  it('computes bounds over positions, outlines and beacons, the north-up viewBox and the start position', () => {
    const map = toHuntMap(SMALL_HUNT);
    assert.deepEqual(mapBounds(map, 0), { minXM: -10, minYM: -10, maxXM: 100, maxYM: 50 });
    assert.deepEqual(mapBounds(map, 5), { minXM: -15, minYM: -15, maxXM: 105, maxYM: 55 });
    assert.equal(formatViewBox(viewBoxFor(mapBounds(map, 0))), '-10 -50 110 60');
    assert.deepEqual(startPosition(map), { xM: -10 - START_OFFSET_M, yM: -10 - START_OFFSET_M });
    assert.deepEqual(mapBounds({ id: 'e', name: 'e', buildings: [], beacons: [] }, 3), { minXM: -3, minYM: -3, maxXM: 3, maxYM: 3 });
  });

  it('zooms around a fixed point, within the whole map and the minimum width', () => {
    const full = { x: 0, y: -100, width: 200, height: 100 };
    const table: Array<[string, Parameters<typeof zoomViewBox>[0], number, { x: number; y: number }, ReturnType<typeof zoomViewBox>]> = [
      ['in at the centre', full, 0.5, { x: 100, y: -50 }, { x: 50, y: -75, width: 100, height: 50 }],
      ['in at a corner keeps the corner', full, 0.5, { x: 0, y: -100 }, { x: 0, y: -100, width: 100, height: 50 }],
      ['in at a point keeps that point', full, 0.5, { x: 40, y: -20 }, { x: 20, y: -60, width: 100, height: 50 }],
      ['out past the whole map stops at it', { x: 50, y: -75, width: 100, height: 50 }, 4, { x: 100, y: -50 }, full],
      ['out near an edge stays inside', { x: 0, y: -100, width: 50, height: 25 }, 2, { x: 0, y: -100 }, { x: 0, y: -100, width: 100, height: 50 }],
      ['in past the minimum width stops at it', { x: 50, y: -75, width: 100, height: 50 }, 0.01, { x: 100, y: -50 }, { x: 90, y: -55, width: 20, height: 10 }],
    ];
    for (const [name, box, factor, center, expected] of table) assert.deepEqual(zoomViewBox(box, factor, center, full, 20), expected, name);
  });

  it('maps beacons to their buildings', () => {
    const of = buildingOfBeacon(toHuntMap(SMALL_HUNT));
    assert.deepEqual([of('k1'), of('k2'), of('nope')], ['hq', 'annex', undefined]);
  });
});
