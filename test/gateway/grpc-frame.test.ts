import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLAG_COMPRESSED, FLAG_TRAILERS, FRAME_HEADER_BYTES, encodeFrame, readFrameHeader, readFrameLength, writeFrame, type FrameHeader } from '../../gateway/grpc-frame.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** [name, flag, payload, the frame's bytes, its header as read back]. */
const ROWS: Array<[string, number, number[], number[], FrameHeader]> = [
  ['empty message', 0, [], [0, 0, 0, 0, 0], { compressed: false, trailers: false, length: 0 }],
  ['two-byte message', 0, [7, 8], [0, 0, 0, 0, 2, 7, 8], { compressed: false, trailers: false, length: 2 }],
  ['compressed message', FLAG_COMPRESSED, [0xaa], [0x01, 0, 0, 0, 1, 0xaa], { compressed: true, trailers: false, length: 1 }],
  ['gRPC-web trailers', FLAG_TRAILERS, [0x61, 0x3a], [0x80, 0, 0, 0, 2, 0x61, 0x3a], { compressed: false, trailers: true, length: 2 }],
  ['both flags', FLAG_TRAILERS | FLAG_COMPRESSED, [1], [0x81, 0, 0, 0, 1, 1], { compressed: true, trailers: true, length: 1 }],
];

/** [name, header bytes, header]: lengths too large to encode in a test, read from the header alone. */
const HEADERS: Array<[string, number[], FrameHeader]> = [
  ['length 258, big-endian', [0, 0, 0, 1, 2], { compressed: false, trailers: false, length: 0x0102 }],
  ['length 2^24 + 1', [0, 1, 0, 0, 1], { compressed: false, trailers: false, length: 0x0100_0001 }],
  ['top bit of the length set (no sign)', [0x81, 0xff, 0, 0, 1], { compressed: true, trailers: true, length: 0xff00_0001 }],
  ['largest length', [0, 0xff, 0xff, 0xff, 0xff], { compressed: false, trailers: false, length: 0xffff_ffff }],
];

describe('gateway/grpc-frame: the one gRPC length-prefixed frame codec (issue 18)', () => {
  for (const [name, flag, payload, bytes, header] of ROWS) {
    it(`${name}: encodes to ${JSON.stringify(bytes)} and reads back`, () => {
      const frame = encodeFrame(flag, Uint8Array.from(payload));
      assert.deepEqual([...frame], bytes);
      assert.deepEqual(readFrameHeader(frame), header);
      assert.deepEqual([...frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + header.length)], payload);
      // On Node the server paths pass Buffer.allocUnsafe: a Buffer, the same bytes.
      const buffer = encodeFrame(flag, Uint8Array.from(payload), Buffer.allocUnsafe);
      assert.ok(Buffer.isBuffer(buffer));
      assert.deepEqual([...buffer], bytes);
    });
  }

  for (const [name, bytes, header] of HEADERS) {
    it(`reads a header: ${name}`, () => {
      assert.deepEqual(readFrameHeader(Uint8Array.from(bytes)), header);
      assert.equal(readFrameLength(Uint8Array.from(bytes)), header.length);
    });
  }

  it('writes and reads frames back to back at an offset (a unary answer and its trailers in one buffer)', () => {
    const out = new Uint8Array(3 + 2 * FRAME_HEADER_BYTES + 3);
    const at = writeFrame(out, 3, 0, Uint8Array.from([9, 9]));
    assert.equal(at, 3 + FRAME_HEADER_BYTES + 2);
    assert.equal(writeFrame(out, at, FLAG_TRAILERS, Uint8Array.from([5])), out.length);
    assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 0, 2, 9, 9, 0x80, 0, 0, 0, 1, 5]);
    assert.deepEqual(readFrameHeader(out, 3), { compressed: false, trailers: false, length: 2 });
    assert.deepEqual(readFrameHeader(out, at), { compressed: false, trailers: true, length: 1 });
  });

  it('no other module of the edge, the browser client or the scripts defines the frame header or an encoder', () => {
    const own = [] as string[];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          const source = readFileSync(path, 'utf8');
          if (/\bconst FRAME_HEADER_BYTES\b|\bfunction encodeFrame\b|\bconst (TRAILER|COMPRESSED)_FLAG\b|\bconst FLAG_(TRAILERS|COMPRESSED)\b/.test(source)) own.push(relative(ROOT, path));
        }
      }
    };
    walk(join(ROOT, 'gateway'));
    walk(join(ROOT, 'scripts'));
    assert.deepEqual(own, ['gateway/grpc-frame.ts']);
  });
});
