/** `quarry bench load`'s ladder and overload phases: a ramp-up of at least one fix interval, so no first fix is measured. */
import assert from 'node:assert/strict';
import { stepLoad } from '../../scripts/bench/load.js';

describe('scripts/bench/load stepLoad', () => {
  it('ramps up for at least one fix interval of the step (20,000 players)', () => {
    const table: Array<[fixesPerSec: number, rampUpS: number]> = [
      [500, 40],
      [1_000, 20],
      [1_500, 14],
      [2_000, 10],
      [3_000, 10],
    ];
    for (const [fixesPerSec, rampUpS] of table) assert.deepEqual(stepLoad(20_000, fixesPerSec), { fixesPerSec, durationS: 20, rampUpS }, `${fixesPerSec}/s`);
  });
});
