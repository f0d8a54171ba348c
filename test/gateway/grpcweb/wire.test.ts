import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import { FrameError, decodeBase64Text, decodeSingleMessage, encodeTrailers, maxRequestBodyBytes } from '../../../gateway/grpcweb/frames.js';
import { parseGrpcTimeoutMs } from '../../../gateway/grpcweb/timeout.js';
import { headersToMetadata, metadataToPairs, percentEncodeGrpcMessage } from '../../../gateway/grpcweb/metadata.js';
import { corsHeaders, preflight } from '../../../gateway/grpcweb/cors.js';
import { classifyPrefix } from '../../../gateway/grpcweb/sniff.js';

describe('gateway/grpcweb wire helpers', () => {
  it('encodes the trailers frame byte for byte (frames themselves: test/gateway/grpc-frame.test.ts)', () => {
    assert.deepEqual(encodeTrailers([['grpc-status', '0'], ['X-A', 'b']]), Buffer.concat([Buffer.from([0x80, 0, 0, 0, 24]), Buffer.from('grpc-status: 0\r\nx-a: b\r\n')]));
  });

  const singleCases: Array<[string, number[], string | number[]]> = [
    ['one frame', [0, 0, 0, 0, 2, 9, 9], [9, 9]],
    ['empty message', [0, 0, 0, 0, 0], []],
    ['short header', [0, 0, 0], 'malformed:request body of 3 bytes is shorter than a frame header'],
    ['truncated payload', [0, 0, 0, 0, 3, 1], 'malformed:truncated frame: header says 3 bytes, body has 1'],
    ['trailing bytes', [0, 0, 0, 0, 1, 1, 2, 3], 'malformed:2 unexpected bytes after the request message'],
    ['trailers flag', [0x80, 0, 0, 0, 0], 'malformed:request carries a trailers frame'],
    ['compressed', [1, 0, 0, 0, 0], 'compressed:compressed request messages are not supported (send grpc-encoding identity)'],
    ['too large', [0, 0, 0, 0, 11], 'too-large:request message of 11 bytes exceeds maxMessageBytes 10'],
  ];
  for (const [name, body, expected] of singleCases) {
    it(`decodeSingleMessage: ${name}`, () => {
      if (typeof expected === 'string') {
        assert.throws(() => decodeSingleMessage(Buffer.from(body), 10), (e: unknown) => e instanceof FrameError && `${e.kind}:${e.message}` === expected);
      } else assert.deepEqual([...decodeSingleMessage(Buffer.from(body), 10)], expected);
    });
  }

  const base64Cases: Array<[string, string, number[] | null]> = [
    ['plain', 'AAECAw==', [0, 1, 2, 3]],
    ['padding mid-stream (per-chunk encoding)', 'AA==AQ==', [0, 1]],
    ['three-byte group then padded', 'AAEC' + 'Aw==', [0, 1, 2, 3]],
    ['empty', '', []],
    ['bad character', 'AA!A', null],
    ['bad length', 'AAE', null],
    ['padding in the middle of a group', 'A=AA', null],
    ['url alphabet', 'AA-_', null],
  ];
  for (const [name, text, expected] of base64Cases) {
    it(`decodeBase64Text: ${name}`, () => {
      if (expected === null) assert.throws(() => decodeBase64Text(text), FrameError);
      else assert.deepEqual([...decodeBase64Text(text)], expected);
    });
  }

  it('bounds the request body by maxMessageBytes', () => {
    assert.equal(maxRequestBodyBytes(100, false), 105);
    assert.equal(maxRequestBodyBytes(100, true), 148);
  });

  const timeouts: Array<[string, number | undefined]> = [
    ['1S', 1000], ['250m', 250], ['2M', 120_000], ['1H', 3_600_000], ['1500u', 1.5], ['99999999n', 99.999999],
    ['', undefined], ['1s', undefined], ['123456789S', undefined], ['-1S', undefined], ['1.5S', undefined], ['S', undefined], ['12', undefined], ['0m', 0], ['1 S', undefined], ['1x', undefined],
  ];
  for (const [value, ms] of timeouts) it(`parseGrpcTimeoutMs(${JSON.stringify(value)}) = ${ms}`, () => assert.equal(parseGrpcTimeoutMs(value), ms));

  const messages: Array<[string, string]> = [
    ['plain text', 'plain text'], ['100%', '100%25'], ['é', '%C3%A9'], ['a\nb', 'a%0Ab'], ['“x”', '%E2%80%9Cx%E2%80%9D'],
  ];
  for (const [raw, encoded] of messages) it(`percentEncodeGrpcMessage(${JSON.stringify(raw)})`, () => {
    assert.equal(percentEncodeGrpcMessage(raw), encoded);
    assert.equal(decodeURIComponent(encoded), raw);
  });

  it('turns request headers into metadata, dropping transport headers and decoding -bin', () => {
    const md = headersToMetadata({ host: 'x', 'content-type': 'application/grpc-web', 'x-grpc-web': '1', 'grpc-timeout': '1S', authorization: 'Bearer t', 'trace-bin': 'AAEC' });
    assert.deepEqual(md.get('authorization'), ['Bearer t']);
    assert.deepEqual(md.get('trace-bin'), [Buffer.from([0, 1, 2])]);
    assert.deepEqual(Object.keys(md.getMap()).sort(), ['authorization', 'trace-bin']);
    const out = new Metadata();
    out.add('a', '1');
    out.add('b-bin', Buffer.from([255]));
    assert.deepEqual(metadataToPairs(out), [['a', '1'], ['b-bin', '/w==']]);
  });

  it('answers CORS for listed origins only', () => {
    assert.deepEqual(corsHeaders('http://a.test', ['http://a.test']), { 'access-control-allow-origin': 'http://a.test', 'access-control-expose-headers': 'grpc-status, grpc-message, grpc-status-details-bin', vary: 'Origin' });
    assert.deepEqual(corsHeaders('http://b.test', ['http://a.test']), {});
    assert.deepEqual(corsHeaders(undefined, ['*']), {});
    assert.equal(preflight('http://b.test', ['*'], 'x-grpc-web,content-type').headers['access-control-allow-headers'], 'x-grpc-web,content-type');
    assert.equal(preflight('http://b.test', ['http://a.test']).status, 403);
    assert.equal(preflight('http://a.test', ['http://a.test'], 'bad header\r\n').headers['access-control-allow-headers'], 'content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, connect-protocol-version, connect-timeout-ms');
  });

  const prefixes: Array<[string, 'h2' | 'http1' | undefined]> = [
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'], ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0', 'h2'], ['PRI * HTT', undefined], ['P', undefined],
    ['POST / HTTP/1.1\r\n', 'http1'], ['GET /', 'http1'], ['PRX', 'http1'],
  ];
  for (const [prefix, kind] of prefixes) it(`classifyPrefix(${JSON.stringify(prefix)}) = ${kind}`, () => assert.equal(classifyPrefix(Buffer.from(prefix, 'latin1')), kind));
});
