import assert from 'node:assert/strict';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_HEADER_BYTES } from '../../../actors/store/snapshot-codec.js';
import { CorruptSnapshotError } from '../../../actors/store/errors.js';

describe('snapshot codec', () => {
  const record = { state: { n: 7, tags: new Set(['a']), at: new Map([['x', 1]]) }, seq: 42, schemaVersion: 3, activationCount: 9 };

  it('round-trips state, seq, schema version and activation count', () => {
    assert.deepEqual(decodeSnapshot(encodeSnapshot(record), 'k/a'), record);
  });

  const damage: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ['a flipped state byte', (b) => flip(b, b.length - 1), /checksum mismatch/],
    ['a flipped seq byte', (b) => flip(b, 9), /checksum mismatch/],
    ['a flipped schema version byte', (b) => flip(b, 7), /checksum mismatch/],
    ['a flipped checksum byte', (b) => flip(b, 25), /checksum mismatch/],
    ['a wrong magic', (b) => flip(b, 0), /unknown format/],
    ['a truncated header', (b) => b.subarray(0, SNAPSHOT_HEADER_BYTES - 1), /shorter than the 28-byte header/],
    ['an empty value', () => Buffer.alloc(0), /0 bytes is shorter/],
  ];
  for (const [what, mutate, reason] of damage) {
    it(`refuses ${what} with CorruptSnapshotError naming the actor`, () => {
      const bytes = mutate(Buffer.from(encodeSnapshot(record)));
      assert.throws(
        () => decodeSnapshot(bytes, 'player/alice'),
        (err: unknown) => err instanceof CorruptSnapshotError && err.actorId === 'player/alice' && /player\/alice/.test(err.message) && reason.test(err.message),
      );
    });
  }
});

function flip(b: Buffer, at: number): Buffer {
  b[at] ^= 0x01;
  return b;
}
