import assert from 'node:assert/strict';
import { jsonDiff } from '../../../ops/inspector/json-diff.js';
import { toJsonSafe } from '../../../ops/inspector/json-safe.js';

describe('inspector jsonDiff', () => {
  const table: Array<[string, unknown, unknown, unknown[]]> = [
    ['equal primitives', 1, 1, []],
    ['changed primitive at root', 1, 2, [{ op: 'change', path: [], before: 1, after: 2 }]],
    ['type change', { a: 1 }, [1], [{ op: 'change', path: [], before: { a: 1 }, after: [1] }]],
    ['null to object', null, { a: 1 }, [{ op: 'change', path: [], before: null, after: { a: 1 } }]],
    ['added key', { a: 1 }, { a: 1, b: 2 }, [{ op: 'add', path: ['b'], after: 2 }]],
    ['removed key', { a: 1, b: 2 }, { a: 1 }, [{ op: 'remove', path: ['b'], before: 2 }]],
    ['nested change', { p: { points: 10, seen: ['k1'] } }, { p: { points: 70, seen: ['k1'] } }, [{ op: 'change', path: ['p', 'points'], before: 10, after: 70 }]],
    ['array append', { seen: ['k1'] }, { seen: ['k1', 'k2'] }, [{ op: 'add', path: ['seen', 1], after: 'k2' }]],
    ['array shrink', [1, 2, 3], [1], [{ op: 'remove', path: [1], before: 2 }, { op: 'remove', path: [2], before: 3 }]],
    ['array element change', [1, 2], [1, 5], [{ op: 'change', path: [1], before: 2, after: 5 }]],
    ['NaN equals NaN', { x: NaN }, { x: NaN }, []],
    ['order of keys irrelevant', { a: 1, b: 2 }, { b: 2, a: 1 }, []],
  ];
  for (const [name, a, b, expected] of table) {
    it(name, () => assert.deepEqual(jsonDiff(a, b), expected));
  }

  it('stops after maxChanges', () => {
    const before = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i + 1]));
    assert.equal(jsonDiff(before, after, 3).length, 3);
  });
});

describe('inspector toJsonSafe', () => {
  it('converts Maps, Sets, bigints, bytes, dates and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.deepEqual(toJsonSafe({ m: new Map([['x', 1]]), s: new Set([1, 2]), n: 10n, b: new Uint8Array(3), d: new Date(0), c: cyclic, f: () => 1, inf: Infinity }), {
      m: { x: 1 }, s: [1, 2], n: '10', b: '[3 bytes]', d: '1970-01-01T00:00:00.000Z', c: { a: 1, self: '[cycle]' }, inf: 'Infinity',
    });
  });
});
