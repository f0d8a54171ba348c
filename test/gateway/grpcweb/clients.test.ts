/**
 * Conformance with real gRPC-web client libraries from npm, in Node: nice-grpc-web (ts-proto generic
 * definitions), Connect's gRPC-web transport (protobuf-es schemas from the test-only codegen in gen/),
 * and the official grpc-web runtime over an XMLHttpRequest polyfill (xhr2).
 */
import assert from 'node:assert/strict';
import { Code, ConnectError, createClient as createConnectClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { ClientError, Metadata, Status, createChannel, createClient, FetchTransport, NodeHttpTransport } from 'nice-grpc-web';
import * as grpcWeb from 'grpc-web';
import XMLHttpRequestPolyfill from 'xhr2';
import { Event, Fix, FixAck, HuntDefinition, SubscribeRequest, TreasureList, TreasureListRequest } from '../../../proto/gen/hunt.js';
import { Hunt as ConnectHunt } from './gen/hunt_pb.js';
import { HANG_BEACON, MISSING_BUILDING } from './support/fake-hunt.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const fix = (playerId: string, beaconId = 'b1'): Fix => Fix.fromPartial({ playerId, clientSeq: 1, clientTimeMs: 1, readings: [{ beaconId, rssiDbm: -61 }] });

describe('gateway/grpcweb conformance with real client libraries (Node)', function () {
  this.timeout(20_000);
  let gw: TestGateway;
  let token: (id: string) => Promise<string>;
  before(async () => {
    gw = await startTestGateway();
    token = gw.token;
  });
  after(() => gw.close());

  for (const [name, transport] of [['FetchTransport', () => FetchTransport()], ['NodeHttpTransport', () => NodeHttpTransport()]] as const) {
    describe(`nice-grpc-web (${name})`, () => {
      const client = () => createClient(HuntDefinition, createChannel(gw.webUrl, transport()));

      it('unary call with trailers', async () => {
        const auth = Metadata({ authorization: `Bearer ${await token('nina')}` });
        let trailer: Metadata | undefined;
        const ack = await client().reportFix(fix('nina'), { metadata: auth, onTrailer: (t) => (trailer = t) });
        assert.equal(ack.closestBeaconId, 'b1');
        assert.equal(trailer?.get('x-fix-count'), String(gw.hunt.acceptedFixes.length));
      });

      it('server stream: first message before the end, then more, then OK', async () => {
        const player = `nina-${name}`;
        const auth = Metadata({ authorization: `Bearer ${await token(player)}` });
        const seen: Event[] = [];
        for await (const ev of client().subscribe(SubscribeRequest.fromPartial({ playerId: player, afterSeq: 6 }), { metadata: auth })) {
          seen.push(ev);
          if (seen.length === 1) {
            assert.equal(ev.seq, 7);
            assert.ok(gw.hunt.isStreaming(player), 'first message arrived while the stream is open');
            gw.hunt.push(player, Event.fromPartial({ seq: 8, body: { $case: 'achievement', value: 'a' } }));
          } else gw.hunt.end(player);
        }
        assert.deepEqual(seen.map((e) => e.seq), [7, 8]);
      });

      it('status codes: NOT_FOUND with the message, PERMISSION_DENIED, deadline', async () => {
        await assert.rejects(client().getTreasureList({ buildingId: MISSING_BUILDING }), (e: unknown) => e instanceof ClientError && e.code === Status.NOT_FOUND && e.details === `unknown building “${MISSING_BUILDING}” (100% sure)`);
        const auth = Metadata({ authorization: `Bearer ${await token('nina')}` });
        await assert.rejects(client().reportFix(fix('other'), { metadata: auth }), (e: unknown) => e instanceof ClientError && e.code === Status.PERMISSION_DENIED);
        const hang = Metadata({ authorization: `Bearer ${await token('nina-hang')}`, 'grpc-timeout': '40m' });
        await assert.rejects(client().reportFix(fix('nina-hang', HANG_BEACON), { metadata: hang }), (e: unknown) => e instanceof ClientError && e.code === Status.DEADLINE_EXCEEDED);
      });

      it('abort reaches the stream handler as cancellation', async () => {
        const player = `nina-abort-${name}`;
        const ctrl = new AbortController();
        const auth = Metadata({ authorization: `Bearer ${await token(player)}` });
        const cancelled = gw.hunt.until(`nice-grpc-web abort cancels ${player}`, () => gw.hunt.cancelled.includes(`subscribe:${player}`));
        const consume = (async () => {
          for await (const _ of client().subscribe(SubscribeRequest.fromPartial({ playerId: player }), { metadata: auth, signal: ctrl.signal })) ctrl.abort();
        })();
        await assert.rejects(consume, (e: unknown) => (e as Error).name === 'AbortError');
        await cancelled;
      });
    });
  }

  describe('@connectrpc/connect-node gRPC-web transport', () => {
    const client = () => createConnectClient(ConnectHunt, createGrpcWebTransport({ baseUrl: gw.webUrl, httpVersion: '1.1' }));

    it('unary call with response headers and trailers', async () => {
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      const list = await client().getTreasureList({ buildingId: 'hq' }, { onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
      assert.equal(list.treasures[0]?.name, 'Golden ✓ key');
      assert.equal(list.version, 3n);
      assert.equal(header?.get('x-building'), 'hq');
      assert.equal(trailer?.get('grpc-status'), '0');
    });

    it('server stream: first message before the end', async () => {
      const headers = { authorization: `Bearer ${await token('connie')}` };
      const seqs: bigint[] = [];
      for await (const ev of client().subscribe({ playerId: 'connie', afterSeq: 1n }, { headers })) {
        seqs.push(ev.seq);
        if (seqs.length === 1) {
          assert.ok(gw.hunt.isStreaming('connie'));
          gw.hunt.push('connie', Event.fromPartial({ seq: 3 }));
        } else gw.hunt.end('connie');
      }
      assert.deepEqual(seqs, [2n, 3n]);
    });

    it('timeoutMs becomes grpc-timeout: DEADLINE_EXCEEDED and the handler is cancelled', async () => {
      const headers = { authorization: `Bearer ${await token('connie-hang')}` };
      const cancelled = gw.hunt.until('connect deadline cancels fix:connie-hang', () => gw.hunt.cancelled.includes('fix:connie-hang'));
      await assert.rejects(
        client().reportFix({ playerId: 'connie-hang', readings: [{ beaconId: HANG_BEACON, rssiDbm: -50 }] }, { headers, timeoutMs: 60 }),
        (e: unknown) => e instanceof ConnectError && e.code === Code.DeadlineExceeded,
      );
      await cancelled;
    });

    it('errors: UNAUTHENTICATED with reason, NOT_FOUND', async () => {
      await assert.rejects(client().reportFix({ playerId: 'connie' }), (e: unknown) => e instanceof ConnectError && e.code === Code.Unauthenticated && /missing authorization/.test(e.rawMessage));
      await assert.rejects(client().getTreasureList({ buildingId: MISSING_BUILDING }), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound && e.rawMessage.includes('“'));
    });

    it('abort reaches the stream handler', async () => {
      const headers = { authorization: `Bearer ${await token('connie-abort')}` };
      const ctrl = new AbortController();
      const cancelled = gw.hunt.until('connect abort cancels connie-abort', () => gw.hunt.cancelled.includes('subscribe:connie-abort'));
      await assert.rejects(
        (async () => {
          for await (const _ of client().subscribe({ playerId: 'connie-abort' }, { headers, signal: ctrl.signal })) ctrl.abort();
        })(),
        (e: unknown) => e instanceof ConnectError && e.code === Code.Canceled,
      );
      await cancelled;
    });
  });

  describe('official grpc-web (with an XMLHttpRequest polyfill)', () => {
    const globals = globalThis as { XMLHttpRequest?: unknown };
    let previous: unknown;
    before(() => {
      previous = globals.XMLHttpRequest;
      globals.XMLHttpRequest = XMLHttpRequestPolyfill;
    });
    after(() => {
      globals.XMLHttpRequest = previous;
    });
    // grpc-web calls the constructors only for typing; ts-proto messages are plain objects.
    const desc = <Req, Res>(name: string, type: string, req: { encode(m: Req): { finish(): Uint8Array } }, res: { decode(b: Uint8Array): Res }) =>
      new grpcWeb.MethodDescriptor<Req, Res>(`/quarry.hunt.v1.Hunt/${name}`, type, Object as never, Object as never, (m: Req) => req.encode(m).finish(), (b: Uint8Array) => res.decode(b));
    const reportFix = desc('ReportFix', grpcWeb.MethodType.UNARY, Fix, FixAck);
    const treasures = desc('GetTreasureList', grpcWeb.MethodType.UNARY, TreasureListRequest, TreasureList);
    const subscribe = desc('Subscribe', grpcWeb.MethodType.SERVER_STREAMING, SubscribeRequest, Event);

    for (const format of ['text', 'binary'] as const) {
      it(`unary in ${format} format, and an error status`, async () => {
        const client = new grpcWeb.GrpcWebClientBase({ format });
        const ack = await client.unaryCall(gw.webUrl + '/quarry.hunt.v1.Hunt/ReportFix', fix('gwen'), { authorization: `Bearer ${await token('gwen')}` }, reportFix);
        assert.equal(ack.closestBeaconId, 'b1');
        await assert.rejects(
          client.unaryCall(gw.webUrl + '/quarry.hunt.v1.Hunt/GetTreasureList', { buildingId: MISSING_BUILDING }, {}, treasures),
          (e: unknown) => e instanceof grpcWeb.RpcError && e.code === grpcWeb.StatusCode.NOT_FOUND && e.message === `unknown building “${MISSING_BUILDING}” (100% sure)`,
        );
      });
    }

    it('server stream in text format with status and trailers', async () => {
      const client = new grpcWeb.GrpcWebClientBase({ format: 'text' });
      const stream = client.serverStreaming(gw.webUrl + '/quarry.hunt.v1.Hunt/Subscribe', SubscribeRequest.fromPartial({ playerId: 'gwen', afterSeq: 10 }), { authorization: `Bearer ${await token('gwen')}` }, subscribe);
      const seqs: number[] = [];
      const ended = new Promise<grpcWeb.Status>((resolve, reject) => {
        let st: grpcWeb.Status | undefined;
        stream.on('data', (ev) => seqs.push(ev.seq)).on('status', (s) => (st = s)).on('error', reject).on('end', () => resolve(st!));
      });
      // xhr2 exposes the body only when complete, so this library sees the messages at the end here;
      // message-by-message arrival with this same library is asserted in Chromium.
      await gw.hunt.until('grpc-web stream opened for gwen', () => gw.hunt.isStreaming('gwen'));
      gw.hunt.push('gwen', Event.fromPartial({ seq: 12 }));
      gw.hunt.end('gwen');
      const st = await ended;
      assert.equal(st.code, grpcWeb.StatusCode.OK);
      assert.deepEqual(seqs, [11, 12]);
    });

    it('deadline metadata becomes grpc-timeout; cancel() reaches the handler', async () => {
      const client = new grpcWeb.GrpcWebClientBase({ format: 'text' });
      await assert.rejects(
        client.unaryCall(gw.webUrl + '/quarry.hunt.v1.Hunt/ReportFix', fix('gwen-hang', HANG_BEACON), { authorization: `Bearer ${await token('gwen-hang')}`, deadline: String(Date.now() + 80) }, reportFix),
        (e: unknown) => e instanceof grpcWeb.RpcError && e.code === grpcWeb.StatusCode.DEADLINE_EXCEEDED,
      );
      const stream = client.serverStreaming(gw.webUrl + '/quarry.hunt.v1.Hunt/Subscribe', SubscribeRequest.fromPartial({ playerId: 'gwen-cancel' }), { authorization: `Bearer ${await token('gwen-cancel')}` }, subscribe);
      stream.on('error', () => undefined);
      await gw.hunt.until('grpc-web stream opened for gwen-cancel', () => gw.hunt.isStreaming('gwen-cancel'));
      const cancelled = gw.hunt.until('grpc-web cancel() cancels gwen-cancel', () => gw.hunt.cancelled.includes('subscribe:gwen-cancel'));
      stream.cancel();
      await cancelled;
    });
  });
});
