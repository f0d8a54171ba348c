/**
 * `quarry bench load`'s ladder and overload phases: a ramp-up of at least one fix interval, so no first fix is measured,
 * and at least the headline's 30 s, so the players arrive as in the headline (no stream set-up storm in the window).
 */
import assert from 'node:assert/strict';
import { stepLoad } from '../../scripts/bench/load.js';

describe('scripts/bench/load stepLoad', () => {
  it('ramps up for the headline\'s 30 s or one fix interval of the step, whichever is longer (20,000 players)', () => {
    const table: Array<[fixesPerSec: number, rampUpS: number]> = [
      [500, 40],
      [1_000, 30],
      [1_500, 30],
      [2_000, 30],
      [3_000, 30],
    ];
    for (const [fixesPerSec, rampUpS] of table) assert.deepEqual(stepLoad(20_000, fixesPerSec), { fixesPerSec, durationS: 20, rampUpS }, `${fixesPerSec}/s`);
  });
});
