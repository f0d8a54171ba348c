import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { RequestMessageError, readRequestMessage } from '../../../gateway/h2stream/index.js';
import { encodeGrpcMessage } from '../../../gateway/h2stream/response.js';
import { frame } from './support/raw-h2.js';

const PATH = '/quarry.hunt.v1.Hunt/Subscribe';
const MAX = 64;

describe('h2stream/request: the one request message of a server-streaming call', () => {
  const ok: Array<[string, Buffer, string, string]> = [
    ['identity message', frame(Buffer.from('hello')), 'identity', 'hello'],
    ['empty message', frame(Buffer.alloc(0)), 'identity', ''],
    ['flag set under identity reads as plain (grpc-js)', frame(Buffer.from('plain'), 1), 'identity', 'plain'],
    ['flag 2 reads as uncompressed (grpc-js)', frame(Buffer.from('two'), 2), 'gzip', 'two'],
    ['gzip', frame(gzipSync(Buffer.from('zipped')), 1), 'gzip', 'zipped'],
    ['deflate', frame(deflateSync(Buffer.from('deflated')), 1), 'deflate', 'deflated'],
    ['uncompressed under gzip encoding', frame(Buffer.from('raw')), 'gzip', 'raw'],
  ];
  for (const [name, body, encoding, want] of ok) {
    it(`reads: ${name}`, () => assert.equal(readRequestMessage(body, PATH, MAX, encoding).toString(), want));
  }

  const bad: Array<[string, Buffer, string, status, string]> = [
    ['no message', Buffer.alloc(0), 'identity', status.UNIMPLEMENTED, `Received no request message for server streaming method ${PATH}`],
    ['header cut short', Buffer.from([0, 0, 0]), 'identity', status.INVALID_ARGUMENT, 'truncated request frame: 3 of 5 header bytes'],
    ['payload cut short', frame(Buffer.from('abc'), 0, 10), 'identity', status.INVALID_ARGUMENT, 'truncated request message: 3 of 10 bytes'],
    ['too large', frame(Buffer.alloc(65)), 'identity', status.RESOURCE_EXHAUSTED, 'Received message larger than max (65 vs 64)'],
    ['too large from the header alone', frame(Buffer.alloc(0), 0, 1_000_000), 'identity', status.RESOURCE_EXHAUSTED, 'Received message larger than max (1000000 vs 64)'],
    ['two messages', Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]), 'identity', status.UNIMPLEMENTED, `Received a second request message for server streaming method ${PATH}`],
    ['unsupported encoding', frame(Buffer.from('x'), 1), 'snappy', status.UNIMPLEMENTED, 'Received message compressed with unsupported encoding "snappy"'],
    ['gzip that is not gzip', frame(Buffer.from('not gzip'), 1), 'gzip', status.INTERNAL, 'Failed to decompress message'],
    ['gzip bomb past max', frame(gzipSync(Buffer.alloc(1_000)), 1), 'gzip', status.RESOURCE_EXHAUSTED, 'Received message that decompresses to a size larger than 64'],
  ];
  for (const [name, body, encoding, code, details] of bad) {
    it(`refuses: ${name}`, () =>
      assert.throws(() => readRequestMessage(body, PATH, MAX, encoding), (e: unknown) => e instanceof RequestMessageError && e.name === 'RequestMessageError' && e.code === code && e.message === details));
  }

  it('encodes grpc-message as grpc-js does (encodeURI), lone surrogates by the spec rule', () => {
    assert.equal(encodeGrpcMessage('unknown building “nowhere” (100% sure)'), 'unknown%20building%20%E2%80%9Cnowhere%E2%80%9D%20(100%25%20sure)');
    assert.equal(encodeGrpcMessage('plain'), 'plain');
    assert.equal(encodeGrpcMessage('bad \uD800'), 'bad %EF%BF%BD');
  });
});
