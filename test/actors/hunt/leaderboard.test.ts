import assert from 'node:assert/strict';
import type { AggregateView, ShardSummary } from '../../../actors/hunt/messages.js';
import { startHunt, type HuntHarness } from './support.js';

describe('hunt: sharded leaderboard (real LMDB, fake clock)', function () {
  let h: HuntHarness;
  beforeEach(async () => {
    h = await startHunt({ options: { leaderboardStalenessMs: 1_000, leaderboardShards: 4 } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('top N and own rank over players spread across shards; changes show within the staleness bound', async () => {
    // h1 = 100, then vault: 50 + 300 (treasure, first 3 only).
    const players = Array.from({ length: 12 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    for (const p of players) await h.game.reportFix(p, h.fixAt('h1', 1));
    await h.advance(11_000);
    for (const p of players.slice(0, 4)) await h.game.reportFix(p, h.fixAt('vault', 2));
    await h.advance(1_000);
    const board = await h.game.leaderboard('r11', 5);
    assert.deepEqual(board.top, [
      { playerId: 'r00', score: 450, rank: 1 },
      { playerId: 'r01', score: 450, rank: 1 },
      { playerId: 'r02', score: 450, rank: 1 },
      { playerId: 'r03', score: 150, rank: 4 },
      { playerId: 'r04', score: 100, rank: 5 },
    ]);
    assert.deepEqual(board.own, { playerId: 'r11', score: 100, rank: 5 });
    assert.ok(board.asOfMs >= h.fake.now - 1_000, `asOfMs ${board.asOfMs} within 1000 ms of now ${h.fake.now}`);
    const nobody = await h.game.leaderboard('stranger', 1);
    assert.deepEqual(nobody.own, { playerId: 'stranger', score: 0, rank: 13 });

    await h.game.reportFix('r11', h.fixAt('h2', 2));
    await h.advance(1_000);
    const after = await h.game.leaderboard('r11', 5);
    assert.deepEqual(after.top.slice(3), [{ playerId: 'r11', score: 200, rank: 4 }, { playerId: 'r03', score: 150, rank: 5 }]);
    assert.deepEqual(after.own, { playerId: 'r11', score: 200, rank: 4 });
  });

  it('player ids that are Object.prototype names are players like any other', async () => {
    for (const p of ['__proto__', 'constructor', 'toString']) {
      const ack = await h.game.reportFix(p, h.fixAt('h1', 1));
      assert.deepEqual([ack.score, ack.awards.length], [100, 1], p);
    }
    await h.advance(1_000);
    for (const p of ['__proto__', 'constructor', 'toString']) assert.deepEqual((await h.game.leaderboard(p, 3)).own, { playerId: p, score: 100, rank: 1 });
    await h.restart();
    assert.equal((await h.game.profile('constructor')).visitedBeacons, 1);
    assert.deepEqual((await h.game.leaderboard('__proto__', 3)).own, { playerId: '__proto__', score: 100, rank: 1 });
  });

  it('a shard re-sorts only after a score changed; an unchanged summary is served again with a fresh asOfMs', async () => {
    const shard = h.host.ref(h.game.kinds.shard, '0');
    // The aggregator's topN (the game polls it meanwhile), so its polls and this test share one cached summary.
    const topN = h.game.kinds.options.leaderboardMaxTopN;
    const summary = () => h.host.ask(shard, { type: 'summary', topN }) as Promise<ShardSummary>;
    h.host.tell(shard, { type: 'score', playerId: 'a', score: 5 });
    h.host.tell(shard, { type: 'score', playerId: 'b', score: 9 });
    const first = await summary();
    await h.advance(500);
    const again = await summary();
    assert.equal(again.scoresDesc, first.scoresDesc, 'no score changed: the sorted scores are reused, not rebuilt');
    assert.equal(again.asOfMs, h.fake.now);
    h.host.tell(shard, { type: 'score', playerId: 'b', score: 9 });
    assert.equal((await summary()).scoresDesc, first.scoresDesc, 'the same score again changes nothing');
    h.host.tell(shard, { type: 'score', playerId: 'a', score: 12 });
    const changed = await summary();
    assert.notEqual(changed.scoresDesc, first.scoresDesc);
    assert.deepEqual(changed.scoresDesc, [12, 9]);
    assert.deepEqual(changed.top, [{ playerId: 'a', score: 12 }, { playerId: 'b', score: 9 }]);
    const narrower = (await h.host.ask(shard, { type: 'summary', topN: 1 })) as ShardSummary;
    assert.deepEqual(narrower.top, [{ playerId: 'a', score: 12 }], 'another topN is computed for that topN');
  });

  it('the global view is merged again only when a shard summary changed', async () => {
    const global = h.host.ref(h.game.kinds.aggregator, 'global');
    const view = () => h.host.ask(global, { type: 'view', maxAgeMs: 0 }) as Promise<AggregateView>;
    h.host.tell(h.host.ref(h.game.kinds.shard, '1'), { type: 'score', playerId: 'a', score: 7 });
    const first = await view();
    await h.advance(100);
    const again = await view();
    assert.equal(again.scoresDesc, first.scoresDesc, 'unchanged shards: the merged scores are reused');
    assert.equal(again.asOfMs, h.fake.now);
    h.host.tell(h.host.ref(h.game.kinds.shard, '2'), { type: 'score', playerId: 'b', score: 8 });
    await h.advance(1); // a view of this very ms is served as it is (maxAgeMs 0)
    const changed = await view();
    assert.deepEqual(changed.scoresDesc, [8, 7]);
    assert.deepEqual(changed.top, [{ playerId: 'b', score: 8 }, { playerId: 'a', score: 7 }]);
  });

  it('refuses a topN outside [1, leaderboardMaxTopN]', async () => {
    await assert.rejects(h.game.leaderboard('x', 0), { name: 'InvalidHuntRequestError', reason: 'badTopN' });
    await assert.rejects(h.game.leaderboard('x', 101), { name: 'InvalidHuntRequestError', reason: 'badTopN' });
  });
});
