import assert from 'node:assert/strict';
import { serialize } from 'node:v8';
import { decodeValue, encodeValue } from '../../../actors/store/snapshot-codec.js';

describe('value codec', () => {
  // What the game's actors hold and journal (actors/hunt), and what a kind may hold besides.
  const values: Array<[string, unknown]> = [
    ['a player profile: visits by beacon, null for visited but never paid', { score: 12, lastSeq: 40, achievements: ['explorer'], claims: ['t1'], visits: new Map<string, number | null>([['b1', 1_700_000_000_123], ['b2', null]]), recent: [{ beaconId: 'b1', atMs: 1_700_000_000_123 }], completedAtMs: null }],
    ['a building\'s claims', { version: 3, claims: new Map([['t1', ['alice', 'bob']]]) }],
    ['a leaderboard shard', { scores: new Map([['alice', 12], ['bob', 0]]) }],
    ['a player session', { lastSeq: 40, smoothed: [{ beaconId: 'b1', rssiDbm: -61.5, heardAtMs: 1_700_000_000_000 }], closest: { currentBeaconId: 'b1', challengerBeaconId: null, challengerFixes: 0 }, buildingId: null }],
    ['an event with a key holding undefined', { type: 'visited', beaconId: 'b1', atMs: 1, fixSeq: 2, awards: [{ points: 5, reason: 'first visit' }], claims: [], visitPoints: undefined }],
    ['an outbox body', { $case: 'award', value: { beaconId: 'b1', points: 5, reason: 'first visit' } }],
    ['Set, Date, BigInt', { tags: new Set(['a', 'b']), at: new Date(1_700_000_000_123), big: 2n ** 70n, small: -5n }],
    ['typed arrays', { f: new Float64Array([1.5, -2]), u: new Uint8Array([1, 2, 3]), i: new Int32Array([-7]) }],
    ['a Map keyed by numbers, nested', new Map([[1, new Map([['k', [1, { x: undefined }]]])]])],
    ['an empty object beside an empty Map', { o: {}, m: new Map() }],
    ['-1 (the one msgpack value whose first byte is V8\'s tag)', -1],
    ['null, a string, a float', [null, 'héllo ✓', 0.1]],
  ];
  for (const [what, value] of values) {
    it(`round-trips ${what}`, () => {
      assert.deepStrictEqual(decodeValue(encodeValue(value)), value);
    });
  }

  it('gives -0 back as 0 and an array\'s holes as undefined (msgpack has neither)', () => {
    assert.ok(Object.is(decodeValue(encodeValue(-0)), 0));
    assert.deepStrictEqual(decodeValue(encodeValue([1, , 3])), [1, undefined, 3]);
  });

  it('reads values written in V8\'s format, as every store before msgpack holds them', () => {
    for (const [, value] of values) assert.deepStrictEqual(decodeValue(serialize(value)), value);
  });

  it('keeps a value intact when later values are encoded', () => {
    const first = encodeValue({ n: 1 });
    const copy = Buffer.from(first);
    for (let i = 0; i < 1_000; i++) encodeValue({ filler: 'x'.repeat(i) });
    assert.deepEqual(first, copy);
  });
});
