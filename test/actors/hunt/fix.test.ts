import assert from 'node:assert/strict';
import { InvalidFixError, isFreshSeq, validateFix, type Fix, type InvalidFixReason } from '../../../actors/hunt/fix.js';

const known = (id: string): boolean => id === 'k1' || id === 'k2';
const NOW = 1_700_000_000_000;
const good: Fix = { clientSeq: 1, clientTimeMs: NOW, readings: [{ beaconId: 'k1', rssiDbm: -70 }] };

describe('hunt: fix validation', () => {
  it('accepts a plausible fix, a clock up to 30 s ahead, and GPS-only fixes', () => {
    validateFix(good, known, NOW);
    validateFix({ ...good, clientTimeMs: NOW + 30_000 }, known, NOW);
    validateFix({ clientSeq: 2, clientTimeMs: NOW, readings: [], gps: { lat: 52.5, lon: 13.4, accuracyM: 8 } }, known, NOW);
    validateFix({ ...good, readings: [{ beaconId: 'k1', rssiDbm: -120 }, { beaconId: 'k2', rssiDbm: 0 }] }, known, NOW);
  });

  const table: Array<[name: string, fix: Fix, reason: InvalidFixReason, message: string]> = [
    ['unknown beacon', { ...good, readings: [{ beaconId: 'k1', rssiDbm: -70 }, { beaconId: 'nope', rssiDbm: -70 }] }, 'unknownBeacon', 'readings[1].beaconId: unknown beacon "nope"'],
    ['NaN RSSI', { ...good, readings: [{ beaconId: 'k1', rssiDbm: NaN }] }, 'rssiNotFinite', 'readings[0].rssiDbm: expected a finite number, got NaN'],
    ['infinite RSSI', { ...good, readings: [{ beaconId: 'k2', rssiDbm: -Infinity }] }, 'rssiNotFinite', 'readings[0].rssiDbm: expected a finite number, got -Infinity'],
    ['RSSI too strong', { ...good, readings: [{ beaconId: 'k1', rssiDbm: 5 }] }, 'rssiOutOfRange', 'readings[0].rssiDbm: 5 outside [-120, 0]'],
    ['RSSI too weak', { ...good, readings: [{ beaconId: 'k1', rssiDbm: -121 }] }, 'rssiOutOfRange', 'readings[0].rssiDbm: -121 outside [-120, 0]'],
    ['timestamp too far ahead', { ...good, clientTimeMs: NOW + 30_001 }, 'timeInFuture', 'clientTimeMs: 30001 ms ahead of the server clock (at most 30000)'],
    ['NaN timestamp', { ...good, clientTimeMs: NaN }, 'badTime', 'clientTimeMs: expected a finite number, got NaN'],
    ['sequence 0', { ...good, clientSeq: 0 }, 'badSeq', 'clientSeq: expected an integer >= 1, got 0'],
    ['fractional sequence', { ...good, clientSeq: 1.5 }, 'badSeq', 'clientSeq: expected an integer >= 1, got 1.5'],
    ['no readings and no GPS', { ...good, readings: [] }, 'noReadings', 'readings: expected at least one reading or a gps position'],
    ['too many readings', { ...good, readings: Array.from({ length: 65 }, () => ({ beaconId: 'k1', rssiDbm: -70 })) }, 'tooManyReadings', 'readings: 65 readings, at most 64'],
    ['latitude out of range', { ...good, gps: { lat: 91, lon: 0, accuracyM: 5 } }, 'badGps', 'gps: expected lat in [-90, 90], lon in [-180, 180], accuracyM >= 0, got {"lat":91,"lon":0,"accuracyM":5}'],
  ];
  for (const [name, fix, reason, message] of table) {
    it(`rejects ${name} with reason ${reason}`, () => {
      assert.throws(
        () => validateFix(fix, known, NOW),
        (err: unknown) => err instanceof InvalidFixError && err.name === 'InvalidFixError' && err.reason === reason && err.message === message,
      );
    });
  }

  it('sequence: only strictly higher than the last seen is fresh', () => {
    assert.deepEqual([[5, 4], [5, 5], [3, 5], [1, 0]].map(([seq, last]) => isFreshSeq(seq!, last!)), [true, false, false, true]);
  });
});
