import assert from 'node:assert/strict';
import type { FixAck } from '../../../actors/hunt/messages.js';
import { startHunt, type HuntHarness } from './support.js';

describe('hunt: races decided by one actor (real LMDB, fake clock)', function () {
  let h: HuntHarness;
  beforeEach(async () => {
    h = await startHunt();
  });
  afterEach(async () => {
    await h.close();
  });

  it('500 players racing for 3 treasures: exactly 3 win, the list says who, and it survives a restart', async () => {
    const players = Array.from({ length: 500 }, (_, i) => `p${i}`);
    const acks: FixAck[] = await Promise.all(players.map((p) => h.game.reportFix(p, h.fixAt('vault', 1))));
    const winners = players.filter((_, i) => acks[i]!.claimedTreasures.includes('crown'));
    assert.equal(winners.length, 3, `winners: ${winners.join(', ')}`);
    assert.ok(acks.every((a) => a.accepted && a.closestBeaconId === 'vault'));
    const list = await h.game.treasureList('hq');
    assert.deepEqual(list, { buildingId: 'hq', version: 3, treasures: [{ id: 'crown', name: 'Crown', capacity: 3, claimedBy: winners }] });
    for (const w of winners) assert.deepEqual((await h.game.profile(w)).claims, ['crown']);
    await h.host.flush();
    const pushed = h.store.outbox.readPending(0, 100_000).filter((e) => e.channel === 'building.hq').map((e) => e.body as { $case: string; value: { version: number } });
    assert.deepEqual(pushed.map((b) => [b.$case, b.value.version]), [['treasureList', 1], ['treasureList', 2], ['treasureList', 3]]);
    await h.restart();
    assert.deepEqual(await h.game.treasureList('hq'), list);
    const late = await h.game.reportFix('late', h.fixAt('vault', 1));
    assert.deepEqual(late.claimedTreasures, []);
  });

  it('the winner is decided once when many players complete the hunt at the same moment', async () => {
    const players = Array.from({ length: 40 }, (_, i) => `w${i}`);
    await Promise.all(players.map((p) => h.game.reportFix(p, h.fixAt('h1', 1))));
    await h.advance(11_000);
    await Promise.all(players.map((p) => h.game.reportFix(p, h.fixAt('h2', 2))));
    await h.advance(11_000);
    // The last hq beacon completes "hq-complete" (the win condition) for all 40 in one burst.
    const acks = await Promise.all(players.map((p) => h.game.reportFix(p, h.fixAt('vault', 3))));
    assert.ok(acks.every((a) => a.achievements.includes('hq-complete')));
    const winner = await h.game.winner();
    assert.ok(winner && players.includes(winner.playerId));
    const profiles = await Promise.all(players.map((p) => h.game.profile(p)));
    assert.ok(profiles.every((p) => p.completedAtMs !== null));
    // Direct racing asks to the game actor get the same answer.
    const gameRef = h.host.ref(h.game.kinds.game, 'small');
    const direct = await Promise.all(players.map((p) => h.host.ask(gameRef, { type: 'complete', playerId: p, fixSeq: 99 })));
    assert.ok(direct.every((d) => d !== null && 'winner' in d && d.winner.playerId === winner.playerId));
    assert.equal(direct.filter((d) => d !== null && 'youWon' in d && d.youWon).length, 1);
    await h.host.flush();
    const all = h.store.outbox.readPending(0, 100_000).filter((e) => e.channel === 'all');
    assert.deepEqual(all.map((e) => e.body), [{ $case: 'winner', value: winner }]);
    await h.restart();
    assert.deepEqual(await h.game.winner(), winner);
  });
});
