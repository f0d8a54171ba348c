import assert from 'node:assert/strict';
import { request } from 'node:http';
import { status } from '@grpc/grpc-js';
import { Event, Fix, FixAck, SubscribeRequest, TreasureList, TreasureListRequest } from '../../../proto/gen/hunt.js';
import { encodeFrame, readFrameHeader } from '../../../gateway/grpc-frame.js';
import { decodeBase64Text } from '../../../gateway/grpcweb/frames.js';
import { percentEncodeGrpcMessage } from '../../../gateway/grpcweb/metadata.js';
import { HANG_BEACON, MISSING_BUILDING } from './support/fake-hunt.js';
import { TEST_MAX_MESSAGE_BYTES, TEST_ORIGIN, startTestGateway, type TestGateway } from './support/gateway.js';
import { frame, parseFrames, webCall } from './support/raw-web.js';

const FIX = '/quarry.hunt.v1.Hunt/ReportFix';
const SUBSCRIBE = '/quarry.hunt.v1.Hunt/Subscribe';
const TREASURES = '/quarry.hunt.v1.Hunt/GetTreasureList';

const fixBytes = (playerId: string, beaconId = 'b1'): Uint8Array =>
  Fix.encode(Fix.fromPartial({ playerId, clientSeq: 1, clientTimeMs: 1, readings: [{ beaconId, rssiDbm: -60 }] })).finish();

/** Reads a fetch body until `count` whole frames have arrived, without waiting for the end. */
async function readFrames(reader: ReadableStreamDefaultReader<Uint8Array>, pending: { buf: Buffer }, count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (;;) {
    while (pending.buf.length >= 5) {
      const h = readFrameHeader(pending.buf);
      if (pending.buf.length < 5 + h.length) break;
      out.push(pending.buf.subarray(0, 5 + h.length));
      pending.buf = pending.buf.subarray(5 + h.length);
      if (out.length === count) return out;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended after ${out.length} of ${count} frames`);
    pending.buf = Buffer.concat([pending.buf, value]);
  }
}

describe('gateway/grpcweb adapter (raw protocol over HTTP/1.1)', () => {
  let gw: TestGateway;
  let alice: string;
  before(async () => {
    gw = await startTestGateway();
    alice = await gw.token('alice');
  });
  after(() => gw.close());

  it('serves a unary call in binary mode with trailers and trailing metadata', async () => {
    const reply = await webCall(gw.webUrl + FIX, frame(fixBytes('alice')), { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(reply.httpStatus, 200);
    assert.equal(reply.headers.get('content-type'), 'application/grpc-web+proto');
    assert.equal(reply.trailers['grpc-status'], '0');
    assert.equal(reply.messages.length, 1);
    const ack = FixAck.decode(reply.messages[0]!);
    assert.equal(ack.closestBeaconId, 'b1');
    assert.equal(reply.trailers['x-fix-count'], String(gw.hunt.acceptedFixes.length));
  });

  for (const text of [false, true]) {
    it(`answers a unary call in one piece: content-length, no chunked encoding (${text ? 'text' : 'binary'})`, async () => {
      const framed = frame(fixBytes('alice'));
      const body = text ? Buffer.from(framed.toString('base64'), 'latin1') : framed;
      const url = new URL(gw.webUrl + FIX);
      const type = text ? 'application/grpc-web-text' : 'application/grpc-web+proto';
      const res = await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${alice}`, 'content-length': body.length } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
          r.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(res.headers['transfer-encoding'], undefined, 'unary answer is not chunked');
      assert.equal(res.headers['content-length'], String(res.body.length));
      const frames = parseFrames(text ? decodeBase64Text(res.body.toString('latin1')) : res.body);
      assert.equal(frames.trailers['grpc-status'], '0');
      assert.equal(FixAck.decode(frames.messages[0]!).closestBeaconId, 'b1');
    });
  }

  it('serves text mode (base64) with response headers from sendMetadata', async () => {
    const body = frame(TreasureListRequest.encode({ buildingId: 'hq' }).finish()).toString('base64');
    const reply = await webCall(gw.webUrl + TREASURES, body, { text: true });
    assert.equal(reply.headers.get('content-type'), 'application/grpc-web-text+proto');
    assert.equal(reply.headers.get('x-building'), 'hq');
    assert.equal(reply.trailers['grpc-status'], '0');
    assert.equal(TreasureList.decode(reply.messages[0]!).treasures[0]!.name, 'Golden ✓ key');
  });

  it('reports a handler error with a percent-encoded grpc-message', async () => {
    const reply = await webCall(gw.webUrl + TREASURES, frame(TreasureListRequest.encode({ buildingId: MISSING_BUILDING }).finish()));
    assert.equal(reply.trailers['grpc-status'], String(status.NOT_FOUND));
    const message = `unknown building “${MISSING_BUILDING}” (100% sure)`;
    assert.equal(reply.trailers['grpc-message'], percentEncodeGrpcMessage(message));
    assert.equal(decodeURIComponent(reply.trailers['grpc-message']!), message);
  });

  it('streams server messages one by one, before the handler ends the stream', async () => {
    const res = await fetch(gw.webUrl + SUBSCRIBE, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${alice}` },
      body: frame(SubscribeRequest.encode(SubscribeRequest.fromPartial({ playerId: 'alice', afterSeq: 41 })).finish()),
    });
    const reader = res.body!.getReader();
    const pending = { buf: Buffer.alloc(0) };
    const [first] = await readFrames(reader, pending, 1);
    assert.equal(Event.decode(first!.subarray(5)).seq, 42);
    assert.ok(gw.hunt.isStreaming('alice'), 'the handler has not ended the stream yet');
    gw.hunt.push('alice', Event.fromPartial({ seq: 43, atMs: 2, body: { $case: 'achievement', value: 'first-steps' } }));
    const [second] = await readFrames(reader, pending, 1);
    assert.deepEqual(Event.decode(second!.subarray(5)).body, { $case: 'achievement', value: 'first-steps' });
    gw.hunt.end('alice');
    const [trailer] = await readFrames(reader, pending, 1);
    assert.equal(parseFrames(trailer!).trailers['grpc-status'], '0');
    assert.equal((await reader.read()).done, true);
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED and cancels the handler', async () => {
    const cancelled = gw.hunt.until('deadline cancels fix:alice', () => gw.hunt.cancelled.includes('fix:alice'));
    const reply = await webCall(gw.webUrl + FIX, frame(fixBytes('alice', HANG_BEACON)), { headers: { authorization: `Bearer ${alice}`, 'grpc-timeout': '50m' } });
    assert.equal(reply.trailers['grpc-status'], String(status.DEADLINE_EXCEEDED));
    await cancelled;
  });

  it('cancels a server stream handler when the client aborts', async () => {
    const bob = await gw.token('bob');
    const ctrl = new AbortController();
    const res = await fetch(gw.webUrl + SUBSCRIBE, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${bob}` },
      body: frame(SubscribeRequest.encode(SubscribeRequest.fromPartial({ playerId: 'bob', afterSeq: 0 })).finish()),
      signal: ctrl.signal,
    });
    await readFrames(res.body!.getReader(), { buf: Buffer.alloc(0) }, 1);
    const cancelled = gw.hunt.until('abort cancels subscribe:bob', () => gw.hunt.cancelled.includes('subscribe:bob'));
    ctrl.abort();
    await cancelled;
    await gw.hunt.until('adapter forgets the call', () => gw.server.grpcWeb.activeCalls === 0);
  });

  it('answers CORS preflight for allowed origins and exposes grpc-status on calls', async () => {
    const pre = await fetch(gw.webUrl + FIX, { method: 'OPTIONS', headers: { origin: TEST_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-grpc-web,authorization' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), TEST_ORIGIN);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type,x-grpc-web,authorization');
    assert.match(pre.headers.get('access-control-allow-methods')!, /POST/);
    const denied = await fetch(gw.webUrl + FIX, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const call = await webCall(gw.webUrl + TREASURES, frame(TreasureListRequest.encode({ buildingId: 'hq' }).finish()), { headers: { origin: TEST_ORIGIN } });
    assert.equal(call.headers.get('access-control-allow-origin'), TEST_ORIGIN);
    assert.match(call.headers.get('access-control-expose-headers')!, /grpc-status, grpc-message/);
  });

  it('rejects an oversized message with RESOURCE_EXHAUSTED naming the limit', async () => {
    const big = Buffer.alloc(TEST_MAX_MESSAGE_BYTES + 1, 0);
    const reply = await webCall(gw.webUrl + TREASURES, frame(big));
    assert.equal(reply.trailers['grpc-status'], String(status.RESOURCE_EXHAUSTED));
    assert.equal(decodeURIComponent(reply.trailers['grpc-message']!), `request message of ${TEST_MAX_MESSAGE_BYTES + 1} bytes exceeds maxMessageBytes ${TEST_MAX_MESSAGE_BYTES}`);
    const text = await webCall(gw.webUrl + TREASURES, frame(big).toString('base64'), { text: true });
    assert.equal(text.trailers['grpc-status'], String(status.RESOURCE_EXHAUSTED));
  });

  const bad: Array<[string, Buffer | string, boolean, status, RegExp]> = [
    ['truncated frame', Buffer.from([0, 0, 0, 0, 9, 1, 2]), false, status.INVALID_ARGUMENT, /truncated frame/],
    ['short header', Buffer.from([0, 0]), false, status.INVALID_ARGUMENT, /shorter than a frame header/],
    ['two frames', Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))]), false, status.INVALID_ARGUMENT, /unexpected bytes/],
    ['compressed flag', encodeFrame(1, Buffer.alloc(0), Buffer.allocUnsafe), false, status.UNIMPLEMENTED, /compressed/],
    ['malformed protobuf', frame(Buffer.from([0x0f, 0x01])), false, status.INVALID_ARGUMENT, /^request is not a valid \/\S+ message: /],
    ['bad base64', 'AAAA!AAA', true, status.INVALID_ARGUMENT, /invalid base64/],
  ];
  for (const [name, body, text, code, reason] of bad) {
    it(`answers ${name} with status ${status[code]} and a reason`, async () => {
      const reply = await webCall(gw.webUrl + TREASURES, body, { text });
      assert.equal(reply.trailers['grpc-status'], String(code));
      assert.match(decodeURIComponent(reply.trailers['grpc-message']!), reason);
    });
  }

  it('treats a grpc-timeout beyond timer range as no deadline', async () => {
    const reply = await webCall(gw.webUrl + TREASURES, frame(TreasureListRequest.encode({ buildingId: 'hq' }).finish()), { headers: { 'grpc-timeout': '99999999H' } });
    assert.equal(reply.trailers['grpc-status'], '0');
  });

  it('answers unknown methods, bad grpc-timeout and foreign content types', async () => {
    const unknown = await webCall(gw.webUrl + '/quarry.hunt.v1.Hunt/Nope', frame(Buffer.alloc(0)));
    assert.equal(unknown.trailers['grpc-status'], String(status.UNIMPLEMENTED));
    const timeout = await webCall(gw.webUrl + TREASURES, frame(Buffer.alloc(0)), { headers: { 'grpc-timeout': 'soon' } });
    assert.equal(timeout.trailers['grpc-status'], String(status.INVALID_ARGUMENT));
    const json = await fetch(gw.webUrl + TREASURES, { method: 'POST', headers: { 'content-type': 'application/grpc-web+json' }, body: '{}' });
    assert.equal(json.status, 415);
    await json.arrayBuffer();
  });

  it('maps auth failures: missing and forged tokens, another player', async () => {
    const missing = await webCall(gw.webUrl + FIX, frame(fixBytes('alice')));
    assert.equal(missing.trailers['grpc-status'], String(status.UNAUTHENTICATED));
    const forged = await webCall(gw.webUrl + FIX, frame(fixBytes('alice')), { headers: { authorization: `Bearer ${alice.slice(0, -4)}AAAA` } });
    assert.equal(forged.trailers['grpc-status'], String(status.UNAUTHENTICATED));
    const other = await webCall(gw.webUrl + FIX, frame(fixBytes('mallory')), { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(other.trailers['grpc-status'], String(status.PERMISSION_DENIED));
    assert.match(decodeURIComponent(other.trailers['grpc-message']!), /cannot act as player "mallory"/);
  });

  it('reads a chunked request body arriving in pieces', async () => {
    const body = frame(fixBytes('alice'));
    const before = gw.hunt.acceptedFixes.length;
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const req = request(gw.webUrl + FIX, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${alice}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      });
      req.on('error', reject);
      assert.equal(req.getHeader('content-length'), undefined);
      for (let i = 0; i < body.length; i += 3) req.write(body.subarray(i, i + 3));
      req.end();
    });
    assert.equal(parseFrames(reply).trailers['grpc-status'], '0');
    assert.equal(gw.hunt.acceptedFixes.length, before + 1);
  });
});
