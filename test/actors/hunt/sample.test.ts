import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadHuntFile } from '../../../actors/hunt/definition.js';
import { startHunt, type HuntHarness } from './support.js';

const samplePath = fileURLToPath(new URL('../../../actors/hunt/samples/city-hunt.json', import.meta.url));

describe('hunt: the sample hunt through the actors (real LMDB, fake clock)', function () {
  let h: HuntHarness;
  const hunt = loadHuntFile(samplePath);
  beforeEach(async () => {
    h = await startHunt({ hunt });
  });
  afterEach(async () => {
    await h.close();
  });

  it('a player entering a sample beacon gets its rules applied and the building pushed', async () => {
    const beacon = hunt.beacons.find((b) => b.rules.some((r) => r.type === 'treasure'))!;
    const visit = beacon.rules.find((r) => r.type === 'visitPoints')! as { firstVisitPoints: number };
    const treasure = hunt.buildings.find((b) => b.id === beacon.buildingId)!.treasures[0]!;
    const ack = await h.game.reportFix('sam', h.fixAt(beacon.id, 1));
    assert.deepEqual(
      ack.awards.map((a) => [a.points, a.reason]),
      [[visit.firstVisitPoints, 'first-visit'], [treasure.points, `treasure:${treasure.id}`]],
    );
    assert.deepEqual(ack.claimedTreasures, [treasure.id]);
    const list = await h.game.treasureList(beacon.buildingId);
    assert.deepEqual(list.treasures.find((t) => t.id === treasure.id)?.claimedBy, ['sam']);
  });
});
