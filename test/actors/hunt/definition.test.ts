import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { HuntDefinitionError, loadHuntFile, parseHunt, validateHunt, type HuntDefinition } from '../../../actors/hunt/definition.js';
import { generateHunt } from '../../../actors/hunt/generator.js';

const samplePath = fileURLToPath(new URL('../../../actors/hunt/samples/city-hunt.json', import.meta.url));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HuntDefinitionError, `expected HuntDefinitionError, got ${String(err)}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the definition to be rejected');
}

const small = (): HuntDefinition => structuredClone(generateHunt({ buildings: 3, beacons: 9, seed: 1 }));

describe('hunt: definition file', () => {
  it('the sample hunt is valid: 300 beacons over 20 buildings, positions, treasures and rules', () => {
    const hunt = loadHuntFile(samplePath);
    assert.equal(hunt.beacons.length, 300);
    assert.equal(hunt.buildings.length, 20);
    assert.equal(new Set(hunt.beacons.map((b) => b.buildingId)).size, 20);
    assert.equal(hunt.buildings.flatMap((b) => b.treasures).length, 40);
    assert.ok(hunt.beacons.every((b) => Number.isFinite(b.position.xM) && Number.isFinite(b.position.yM) && b.rules.length > 0));
  });

  it('the sample is exactly what the seeded generator produces (reproducible)', () => {
    const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as HuntDefinition;
    const again = generateHunt({ buildings: 20, beacons: 300, seed: 2026, id: 'city-hunt' });
    assert.deepEqual({ ...again, name: sample.name }, sample);
    assert.deepEqual(generateHunt({ buildings: 50, beacons: 1000, seed: 7 }), generateHunt({ buildings: 50, beacons: 1000, seed: 7 }));
    assert.notDeepEqual(generateHunt({ buildings: 5, beacons: 10, seed: 7 }), generateHunt({ buildings: 5, beacons: 10, seed: 8 }));
  });

  it('a generated large hunt validates', () => {
    const hunt = validateHunt(generateHunt({ buildings: 100, beacons: 3000, seed: 3 }));
    assert.equal(hunt.beacons.length, 3000);
  });

  it('YAML is accepted when the file name says so', () => {
    const hunt = small();
    assert.deepEqual(parseHunt(stringify(hunt), 'hunt.yaml'), validateHunt(hunt));
  });

  it('schema errors point at the offending path', () => {
    const doc = small() as unknown as { beacons: Array<Record<string, unknown>>; buildings: Array<Record<string, unknown>> };
    doc.beacons[7]!.txPowerDbm = '-59';
    doc.beacons[2]!.pathLossExponent = 9;
    delete doc.buildings[1]!.name;
    assert.deepEqual(problemsOf(() => validateHunt(doc)), [
      'buildings[1].name: expected string',
      'beacons[2].pathLossExponent: Too big: expected number to be <=6',
      'beacons[7].txPowerDbm: expected number',
    ]);
  });

  it('cross-references: unknown building, unknown treasure, duplicate ids, unknown achievement in the win condition', () => {
    const hunt = small();
    hunt.beacons[4]!.buildingId = 'nowhere';
    hunt.beacons[5]!.id = hunt.beacons[0]!.id;
    hunt.beacons[1]!.rules.push({ type: 'treasure', treasureId: 'ghost' });
    hunt.beacons[2]!.rules.push({ type: 'treasure', treasureId: hunt.buildings[0]!.treasures[0]!.id });
    hunt.win = { achievements: ['nope'] };
    hunt.windows.push({ id: 'w', start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z', multiplier: 2, beaconIds: ['zzz'] });
    assert.deepEqual(problemsOf(() => validateHunt(hunt)), [
      'beacons[5].id: duplicate id "k0"',
      'beacons[1].rules[2].treasureId: unknown treasure "ghost"',
      'beacons[2].rules[2].treasureId: treasure "b0-t0" belongs to building "b0", not "b2"',
      'beacons[4].buildingId: unknown building "nowhere"',
      'windows[1].end: must be after start',
      'windows[1].beaconIds[0]: unknown beacon "zzz"',
      'win.achievements[0]: unknown achievement "nope"',
    ]);
  });

  it('a window needs either absolute or daily times, and a hunt must end after it starts', () => {
    const hunt = small() as unknown as Record<string, unknown> & HuntDefinition;
    hunt.windows = [{ id: 'w', dailyStart: '18:00', multiplier: 2 } as HuntDefinition['windows'][number]];
    assert.deepEqual(problemsOf(() => validateHunt(hunt)), ['windows[0]: expected either start and end, or dailyStart and dailyEnd']);
    const h2 = small();
    h2.end = h2.start;
    assert.deepEqual(problemsOf(() => validateHunt(h2)), ['end: must be after start']);
  });

  it('malformed JSON is reported with the file name', () => {
    assert.throws(() => parseHunt('{"id": ', 'broken.json'), (err: unknown) => err instanceof HuntDefinitionError && err.message.startsWith('invalid hunt definition broken.json: (root): not valid JSON'));
  });
});
