/** A two-building hunt for tests that need exact, hand-checkable numbers. */
import { validateHunt, type HuntDefinition } from '../../../../actors/hunt/index.js';

export const SMALL_HUNT: HuntDefinition = validateHunt(
  {
    id: 'small',
    name: 'Small hunt',
    start: '2026-01-01T00:00:00+00:00',
    end: '2030-01-01T00:00:00+00:00',
    buildings: [
      {
        id: 'hq',
        name: 'Headquarters',
        position: { xM: 0, yM: 0 },
        outline: [{ xM: -10, yM: -10 }, { xM: 10, yM: -10 }, { xM: 10, yM: 10 }, { xM: -10, yM: 10 }],
        treasures: [{ id: 'hq-key', name: 'Golden Key', capacity: 2, points: 100 }],
      },
      { id: 'annex', name: 'Annex', position: { xM: 100, yM: 50 }, treasures: [] },
    ],
    beacons: [
      { id: 'k1', buildingId: 'hq', position: { xM: 0, yM: 5 }, txPowerDbm: -60, rules: [{ type: 'visitPoints', firstVisitPoints: 10 }, { type: 'treasure', treasureId: 'hq-key' }] },
      { id: 'k2', buildingId: 'annex', position: { xM: 100, yM: 50 }, txPowerDbm: -62, pathLossExponent: 2.5, rules: [{ type: 'visitPoints', firstVisitPoints: 25 }] },
    ],
    win: { scoreAtLeast: 1000 },
  },
  'small-hunt',
);
