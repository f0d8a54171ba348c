import assert from 'node:assert/strict';
import { encodeFrame } from '../../../gateway/grpc-frame.js';
import { FrameParser, GrpcWebFramingError, encodeTrailerFrame, parseTrailers, type Frame } from '../../../gateway/web/grpcweb-frames.js';

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const text = (s: string) => new TextEncoder().encode(s);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function simplify(frames: Frame[]) {
  return frames.map((f) => ({ trailer: f.trailer, compressed: f.compressed, payload: [...f.payload] }));
}

describe('gateway/web grpc-web frames', () => {
  it('parses frames in one chunk, including an empty message and the trailer', () => {
    const body = concat([encodeFrame(0, bytes(1, 2, 3)), encodeFrame(0, new Uint8Array(0)), encodeTrailerFrame({ 'grpc-status': '0' })]);
    const frames = new FrameParser().push(body);
    assert.deepEqual(simplify(frames), [
      { trailer: false, compressed: false, payload: [1, 2, 3] },
      { trailer: false, compressed: false, payload: [] },
      { trailer: true, compressed: false, payload: [...text('grpc-status: 0\r\n')] },
    ]);
  });

  it('yields the same frames however the body is split (every split point, and byte by byte)', () => {
    const body = concat([encodeFrame(0, bytes(9, 8, 7, 6)), encodeFrame(0, bytes(5)), encodeTrailerFrame({ 'grpc-status': '0', 'grpc-message': 'ok' })]);
    const whole = simplify(new FrameParser().push(body));
    for (let cut = 0; cut <= body.length; cut++) {
      const parser = new FrameParser();
      const frames = [...parser.push(body.subarray(0, cut)), ...parser.push(body.subarray(cut))];
      assert.deepEqual(simplify(frames), whole, `split at byte ${cut}`);
      assert.equal(parser.bufferedBytes, 0, `split at byte ${cut}: nothing left over`);
    }
    const parser = new FrameParser();
    const oneByOne: Frame[] = [];
    for (const b of body) oneByOne.push(...parser.push(bytes(b)));
    assert.deepEqual(simplify(oneByOne), whole);
  });

  it('keeps a partial frame buffered until the rest arrives', () => {
    const parser = new FrameParser();
    const frame = encodeFrame(0, bytes(1, 2, 3, 4));
    assert.deepEqual(parser.push(frame.subarray(0, 3)), []);
    assert.equal(parser.bufferedBytes, 3);
    assert.deepEqual(parser.push(frame.subarray(3, 7)), []);
    assert.equal(parser.bufferedBytes, 7);
    assert.deepEqual(simplify(parser.push(frame.subarray(7))), [{ trailer: false, compressed: false, payload: [1, 2, 3, 4] }]);
  });

  it('reports the compressed flag', () => {
    assert.deepEqual(simplify(new FrameParser().push(encodeFrame(0x01, bytes(1)))), [{ trailer: false, compressed: true, payload: [1] }]);
  });

  it('refuses a frame longer than maxFrameBytes before buffering it', () => {
    const parser = new FrameParser(4);
    assert.deepEqual(simplify(parser.push(encodeFrame(0, bytes(1, 2, 3, 4)))), [{ trailer: false, compressed: false, payload: [1, 2, 3, 4] }]);
    assert.throws(() => parser.push(bytes(0, 0, 0, 0, 5)), (err: Error) => err instanceof GrpcWebFramingError && /5 bytes exceeds the 4-byte limit/.test(err.message));
    assert.throws(() => new FrameParser(0), /maxFrameBytes: expected a positive integer, got 0/);
  });

  it('parses trailer lines: lower-cased keys, CRLF or LF, values trimmed', () => {
    const table: Array<[string, Array<[string, string]>]> = [
      ['grpc-status: 0\r\n', [['grpc-status', '0']]],
      ['Grpc-Status:16\r\ngrpc-message: bad%20token\r\n', [['grpc-status', '16'], ['grpc-message', 'bad%20token']]],
      ['grpc-status: 3\ngrpc-message: a: b\n', [['grpc-status', '3'], ['grpc-message', 'a: b']]],
      ['', []],
    ];
    for (const [input, expected] of table) assert.deepEqual([...parseTrailers(text(input))], expected, JSON.stringify(input));
  });

  it('rejects a trailer line without a key', () => {
    assert.throws(() => parseTrailers(text('grpc-status 0\r\n')), (err: Error) => err.name === 'GrpcWebFramingError' && /malformed trailer line "grpc-status 0"/.test(err.message));
    assert.throws(() => parseTrailers(text(': 0\r\n')), GrpcWebFramingError);
  });
});
