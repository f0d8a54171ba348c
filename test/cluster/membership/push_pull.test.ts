import assert from 'node:assert/strict';
import { lanDefaults } from '../../../cluster/membership/config.js';
import type { MemberWire } from '../../../cluster/membership/messages.js';
import { chunkMembers } from '../../../cluster/membership/push_pull.js';
import { simCluster } from '../../../cluster/membership/simulation.js';

describe('membership/push_pull', () => {
  it('chunkMembers: splits at the byte budget, never leaves a chunk empty, keeps order', () => {
    const m = (i: number): MemberWire => ({ id: `n${i}`, addr: `10.0.0.${i}:7946`, inc: 0, st: 'alive' });
    // {"id":"n1","addr":"10.0.0.1:7946","inc":0,"st":"alive"} is 55 bytes, +1 separator = 56.
    const table: Array<[count: number, budget: number, sizes: number[]]> = [
      [0, 1_000, [0]],
      [1, 10, [1]],
      [3, 56, [1, 1, 1]],
      [3, 111, [1, 1, 1]],
      [3, 112, [2, 1]],
      [5, 168, [3, 2]],
      [9, 1_000, [9]],
    ];
    for (const [count, budget, sizes] of table) {
      const members = Array.from({ length: count }, (_, i) => m(i + 1));
      const chunks = chunkMembers(members, budget);
      assert.deepEqual(chunks.map((c) => c.length), sizes, `${count} members, budget ${budget}`);
      assert.deepEqual(chunks.flat(), members);
    }
  });

  it('dead members are forgotten after deadMemberRetentionMs', async () => {
    const config = { ...lanDefaults(), pushPullIntervalMs: 1_000, deadMemberRetentionMs: 5_000 };
    const cluster = simCluster({ n: 4, seed: 2, config });
    try {
      assert.notEqual(cluster.scheduler.runUntilTrue(() => cluster.converged(), 10_000), undefined, 'start');
      cluster.crash(cluster.nodes[3]!);
      const others = cluster.nodes.slice(0, 3);
      const dead = cluster.scheduler.runUntilTrue(() => others.every((n) => n.membership.members().find((m) => m.id === 'n3')?.state === 'dead'), 30_000);
      assert.notEqual(dead, undefined, 'n3 declared dead');
      const gone = cluster.scheduler.runUntilTrue(() => others.every((n) => !n.membership.members().some((m) => m.id === 'n3')), 10_000);
      assert.notEqual(gone, undefined, `n3 still in ${others.map((n) => n.membership.members().map((m) => m.id).join(',')).join(' | ')}`);
    } finally {
      await cluster.stop();
    }
  });
});
