import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildRing, EmptyRingError, fmix32, hash32, keyHash, ownerOf, RingConfigError, shares, successors } from '../../../cluster/placement/ring.js';

// Expected hashes were computed independently (a 10-line Python FNV-1a + murmur3 fmix32).
describe('placement/ring', () => {
  it('hashes: exact fmix32 / FNV-1a values', () => {
    const table: Array<[() => number, number]> = [
      [() => fmix32(0), 0],
      [() => fmix32(1), 1364076727],
      [() => hash32(''), 2872998923],
      [() => hash32('a'), 444641715],
      [() => hash32('node-1'), 2865264164],
      [() => keyHash('player', 'alice'), 4272760670],
    ];
    for (const [f, expected] of table) assert.equal(f(), expected);
  });

  it('ownerOf and successors: exact owners on a 3-member ring', () => {
    const ring = buildRing(['node-a', 'node-b', 'node-c']);
    assert.equal(ring.points.length, 3 * 1024);
    assert.equal(ring.checksum, '85fc22d0916edcda');
    const table: Array<[string, string, string, string[]]> = [
      ['player', 'alice', 'node-a', ['node-a', 'node-b', 'node-c']],
      ['player', 'bob', 'node-a', ['node-a', 'node-c', 'node-b']],
      ['beacon', 'b17', 'node-c', ['node-c', 'node-a', 'node-b']],
      ['building', 'hq', 'node-b', ['node-b', 'node-c', 'node-a']],
      ['leaderboard', 'global', 'node-b', ['node-b', 'node-a', 'node-c']],
    ];
    for (const [kind, key, owner, succ] of table) {
      assert.equal(ownerOf(ring, kind, key), owner, `${kind}/${key}`);
      assert.deepEqual(successors(ring, kind, key, 2), succ.slice(0, 2), `${kind}/${key} successors(2)`);
      assert.deepEqual(successors(ring, kind, key, 5), succ, `${kind}/${key} successors(5) caps at the member count`);
    }
  });

  it('a fourth member takes keys only for itself', () => {
    const ring = buildRing(['node-a', 'node-b', 'node-c', 'node-d']);
    assert.equal(ring.checksum, 'ed3a2f95fb779c52');
    assert.equal(ownerOf(ring, 'leaderboard', 'global'), 'node-d');
    assert.equal(ownerOf(ring, 'beacon', 'b17'), 'node-c');
  });

  it('checksum ignores order and duplicates, depends on vnodes', () => {
    assert.equal(buildRing(['node-c', 'node-a', 'node-b', 'node-a']).checksum, '85fc22d0916edcda');
    assert.equal(buildRing(['node-a', 'node-b', 'node-c'], 16).checksum, '7b4686a58a4229df');
  });

  it('errors: empty ring, bad vnode count', () => {
    assert.throws(() => ownerOf(buildRing([]), 'player', 'x'), EmptyRingError);
    assert.throws(() => successors(buildRing([]), 'player', 'x', 1), EmptyRingError);
    assert.throws(() => buildRing(['a'], 0), (e: Error) => e instanceof RingConfigError && /vnodesPerMember/.test(e.message));
  });

  it('property: join/leave move ≤ 1/N + 5 points, never between survivors; shares within ±15 %', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 3, maxLength: 30 }), (ids) => {
        const [joiner, ...rest] = ids as [string, ...string[]];
        const before = buildRing(rest);
        const after = buildRing(ids);
        const n = ids.length;
        let moved = 0;
        for (const k of keys) {
          const a = ownerOf(before, 'player', k);
          const b = ownerOf(after, 'player', k);
          if (a !== b) {
            moved++;
            // Leaving is the same comparison read backwards: only the leaver's keys change owner.
            assert.equal(b, joiner, `key ${k} moved ${a} -> ${b}, not to the joiner ${joiner}`);
          }
        }
        assert.ok(moved / keys.length <= 1 / n + 0.05, `moved ${moved}/${keys.length} with N=${n}`);
        for (const [member, share] of shares(after)) {
          assert.ok(Math.abs(share * n - 1) <= 0.15, `${member} owns ${(share * 100).toFixed(2)} % of the ring, N=${n}`);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
