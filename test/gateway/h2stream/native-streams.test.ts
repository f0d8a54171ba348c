/**
 * Native Subscribe served by gateway/h2stream on the gateway's real grpc-js Server (the real hook), driven by the
 * grpc-js client and, for inputs no client library sends, by a raw `node:http2` client.
 */
import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { Metadata, credentials, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { Event, Fix, FixAck, HuntClient, SubscribeRequest } from '../../../proto/gen/hunt.js';
import { TEST_MAX_MESSAGE_BYTES, startTestGateway, type TestGateway } from '../grpcweb/support/gateway.js';
import { bearerOf, connect, disconnect } from './support/connected.js';
import { frame, rawCall } from './support/raw-h2.js';
import { waitFor } from '../../../testing/wait.js';

const SUBSCRIBE = '/quarry.hunt.v1.Hunt/Subscribe';
const WAIT_MS = 5_000;

for (const singlePort of [false, true]) {
  describe(`h2stream: native server streams beside grpc-js (${singlePort ? 'single port' : 'two ports'})`, function () {
    this.timeout(20_000);
    let gw: TestGateway;
    let client: HuntClient;
    let raw: ClientHttp2Session;
    const md = (playerId: string) => bearerOf(gw, playerId);
    before(async () => ({ gw, client, raw } = await connect(singlePort)));
    after(() => disconnect({ gw, client, raw }));

    it('serves Subscribe on our path and delivers events message by message, then the status and trailers', async () => {
      assert.ok(gw.server.nativeStreams?.paths.includes(SUBSCRIBE));
      const servedBefore = gw.server.nativeStreams!.served;
      const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'ann', afterSeq: 4 }), await md('ann'));
      const events: Event[] = [];
      let ended: StatusObject | undefined;
      call.on('data', (e: Event) => events.push(e));
      call.on('status', (s: StatusObject) => (ended = s));
      call.on('error', () => undefined);
      const untilEvents = (phase: string, n: number) =>
        waitFor(() => events.length >= n, { phase, expected: `${n} events`, seen: () => events.map((e) => e.seq), timeoutMs: WAIT_MS, changes: (check) => (call.on('data', check), () => call.off('data', check)) });
      await untilEvents('first event (written by the handler at start)', 1);
      assert.equal(events[0]!.seq, 5);
      assert.equal(gw.server.nativeStreams!.served, servedBefore + 1, 'served by h2stream, not grpc-js');
      assert.equal(gw.server.nativeStreams!.open, 1);
      gw.hunt.push('ann', Event.fromPartial({ seq: 6, atMs: 2, body: { $case: 'achievement', value: 'first-steps' } }));
      await untilEvents('second event, before any end', 2);
      assert.deepEqual(events[1]!.body, { $case: 'achievement', value: 'first-steps' });
      const trailers = new Metadata();
      trailers.set('x-reason', 'done');
      gw.hunt.end('ann', trailers);
      const st = await waitFor(() => ended, { phase: 'status after end', expected: 'a status', seen: () => 'no status', timeoutMs: WAIT_MS, changes: (check) => (call.on('status', check), () => call.off('status', check)) });
      assert.equal(st.code, status.OK);
      assert.deepEqual(st.metadata.get('x-reason'), ['done']);
      await gw.hunt.until('stream closed on the server', () => gw.server.nativeStreams!.open === 0);
    });

    it('answers a missing token with a trailers-only UNAUTHENTICATED, another player id with PERMISSION_DENIED', async () => {
      const none = await rawCall(raw, SUBSCRIBE, frame(Buffer.from(SubscribeRequest.encode({ playerId: 'ann', afterSeq: 0, cursors: [] }).finish())));
      assert.equal(none.code, status.UNAUTHENTICATED);
      assert.equal(none.trailers, undefined, 'trailers-only (status in the only HEADERS frame)');
      assert.equal(none.headers[':status'], 200);
      assert.equal(none.headers['content-type'], 'application/grpc+proto');
      assert.equal(none.messages.length, 0);
      const err = await new Promise<ServiceError>((resolve) => {
        void md('bob').then((m) => client.subscribe(SubscribeRequest.fromPartial({ playerId: 'ann' }), m).on('error', resolve).on('data', () => undefined));
      });
      assert.equal(err.code, status.PERMISSION_DENIED);
    });

    it('cancels the handler when the client cancels (RST_STREAM)', async () => {
      const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'cid' }), await md('cid'));
      call.on('error', () => undefined);
      await new Promise<void>((resolve) => call.once('data', () => resolve()));
      const cancelled = gw.hunt.until('cancel reaches subscribe:cid', () => gw.hunt.cancelled.includes('subscribe:cid'));
      call.cancel();
      await cancelled;
      await gw.hunt.until('stream closed on the server', () => gw.server.nativeStreams!.open === 0);
    });

    it('ends the call at grpc-timeout with DEADLINE_EXCEEDED and cancels the handler', async () => {
      const body = frame(Buffer.from(SubscribeRequest.encode({ playerId: 'dee', afterSeq: 0, cursors: [] }).finish()));
      const answer = await rawCall(raw, SUBSCRIBE, body, { authorization: `Bearer ${await gw.token('dee')}`, 'grpc-timeout': '150m' });
      assert.equal(answer.code, status.DEADLINE_EXCEEDED);
      assert.equal(answer.details, 'Deadline exceeded');
      assert.equal(answer.messages.length, 1, 'the event written before the deadline arrived');
      await gw.hunt.until('deadline cancels subscribe:dee', () => gw.hunt.cancelled.includes('subscribe:dee'));
      const bad = await rawCall(raw, SUBSCRIBE, body, { authorization: `Bearer ${await gw.token('dee')}`, 'grpc-timeout': 'soon' });
      assert.equal(bad.code, status.INVALID_ARGUMENT);
      assert.equal(bad.details, 'invalid grpc-timeout "soon"');
    });

    it('refuses an oversized request (RESOURCE_EXHAUSTED), a truncated frame (INTERNAL), an unsupported compression (UNIMPLEMENTED)', async () => {
      const big = await new Promise<ServiceError>((resolve) => {
        void md('ann').then((m) => client.subscribe(SubscribeRequest.fromPartial({ playerId: 'x'.repeat(TEST_MAX_MESSAGE_BYTES) }), m).on('error', resolve).on('data', () => undefined));
      });
      assert.equal(big.code, status.RESOURCE_EXHAUSTED);
      assert.match(big.details, /^Received message larger than max \(\d+ vs 4096\)$/);
      const auth = { authorization: `Bearer ${await gw.token('tru')}` };
      const truncated = await rawCall(raw, SUBSCRIBE, frame(Buffer.from([10, 3, 116]), 0, 40), auth);
      assert.deepEqual([truncated.code, truncated.details], [status.INVALID_ARGUMENT, 'truncated request message: 3 of 40 bytes']);
      const garbage = await rawCall(raw, SUBSCRIBE, frame(Buffer.from([0xff, 0xff, 0xff])), auth);
      assert.equal(garbage.code, status.INVALID_ARGUMENT);
      assert.match(garbage.details, /^request is not a valid \/quarry\.hunt\.v1\.Hunt\/\w+ message: /);
      const request = Buffer.from(SubscribeRequest.encode({ playerId: 'tru', afterSeq: 0, cursors: [] }).finish());
      const snappy = await rawCall(raw, SUBSCRIBE, frame(request, 1), { ...auth, 'grpc-encoding': 'snappy' });
      assert.deepEqual([snappy.code, snappy.details], [status.UNIMPLEMENTED, 'Received message compressed with unsupported encoding "snappy"']);
      // gzip is read as grpc-js reads it; the stream then runs until its deadline.
      const gz = await rawCall(raw, SUBSCRIBE, frame(gzipSync(request), 1), { ...auth, 'grpc-encoding': 'gzip', 'grpc-timeout': '100m' });
      assert.equal(gz.code, status.DEADLINE_EXCEEDED);
      assert.equal(Event.decode(gz.messages[0]!).seq, 1);
    });

    it('leaves unknown methods to grpc-js; serves a unary call on the connection of an open stream', async () => {
      const servedBefore = gw.server.nativeStreams!.served;
      const unknown = await rawCall(raw, '/quarry.hunt.v1.Hunt/Nope', frame(Buffer.alloc(0)));
      assert.equal(unknown.code, status.UNIMPLEMENTED);
      // A stream open on the raw session, then ReportFix on the same session (one HTTP/2 connection).
      const token = await gw.token('uno');
      const streamReq = raw.request({ ':method': 'POST', ':path': SUBSCRIBE, 'content-type': 'application/grpc+proto', te: 'trailers', authorization: `Bearer ${token}` });
      streamReq.end(frame(Buffer.from(SubscribeRequest.encode({ playerId: 'uno', afterSeq: 0, cursors: [] }).finish())));
      streamReq.on('error', () => undefined);
      await new Promise<void>((resolve) => streamReq.once('data', () => resolve()));
      const fix = Buffer.from(Fix.encode(Fix.fromPartial({ playerId: 'uno', readings: [{ beaconId: 'b1', rssiDbm: -60 }] })).finish());
      const answer = await rawCall(raw, '/quarry.hunt.v1.Hunt/ReportFix', frame(fix), { authorization: `Bearer ${token}` });
      assert.equal(answer.code, status.OK);
      assert.equal(FixAck.decode(answer.messages[0]!).closestBeaconId, 'b1');
      assert.equal(gw.server.nativeStreams!.served, servedBefore + 2, 'the stream and the unary call went our way, not the unknown method');
      const cancelled = gw.hunt.until('raw stream cancel reaches subscribe:uno', () => gw.hunt.cancelled.includes('subscribe:uno'));
      streamReq.close();
      await cancelled;
    });

    it("counts our open streams in grpc-js's connection-idle bookkeeping", async () => {
      const idle = (gw.server.grpc as unknown as { sessionIdleTimeouts: Map<unknown, { activeStreams: number }> }).sessionIdleTimeouts;
      const active = () => [...idle.values()].reduce((n, s) => n + s.activeStreams, 0);
      const before = active();
      const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'ida' }), await md('ida'));
      call.on('error', () => undefined);
      await new Promise<void>((resolve) => call.once('data', () => resolve()));
      assert.equal(active(), before + 1);
      const cancelled = gw.hunt.until('cancel reaches subscribe:ida', () => gw.hunt.cancelled.includes('subscribe:ida'));
      call.cancel();
      await cancelled;
      await gw.hunt.until('idle count back', () => active() === before);
    });
  });
}

describe('h2stream: node shutdown ends open server streams', function () {
  this.timeout(20_000);
  for (const nativeStreams of [true, false]) {
    it(`cancels the handler and closes the client stream (${nativeStreams ? 'our path' : 'grpc-js, hook off'})`, async () => {
      const gw = await startTestGateway({ nativeStreams });
      const client = new HuntClient(gw.grpcAddress, credentials.createInsecure());
      try {
        const m = new Metadata();
        m.set('authorization', `Bearer ${await gw.token('sal')}`);
        const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'sal' }), m);
        const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
        await new Promise<void>((resolve) => call.once('data', () => resolve()));
        const cancelled = gw.hunt.until('shutdown cancels subscribe:sal', () => gw.hunt.cancelled.includes('subscribe:sal'));
        await gw.close();
        await cancelled;
        const err = await failed;
        assert.ok([status.UNAVAILABLE, status.CANCELLED, status.INTERNAL].includes(err.code), `client saw ${err.code} ${err.details}`);
        assert.equal(gw.server.nativeStreams?.open ?? 0, 0);
      } finally {
        client.close();
      }
    });
  }
});
