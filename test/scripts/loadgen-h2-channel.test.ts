/**
 * scripts/loadgen/h2-channel.ts against a real grpc-js server: replies and server streams decoded, and failures
 * reported with the codes grpc-js's client would give (the ledger judges fixes by them), including a deadline.
 */
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { createServer, type Server as NetServer } from 'node:net';
import { Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { Event, Fix, FixAck, HuntService, SubscribeRequest } from '../../proto/gen/hunt.js';
import { callHeaders, endStatus, H2Channel, type CallStatus } from '../../scripts/loadgen/h2-channel.js';

const ack = (score: number): FixAck => ({ accepted: true, closestBeaconId: 'b1', score, awards: [], achievements: [], claimedTreasures: [] });

function call(channel: H2Channel, playerId: string, timeoutMs?: number): Promise<{ failure?: CallStatus; ack?: FixAck }> {
  const fix = Fix.encode({ playerId, clientSeq: 1, clientTimeMs: 0, readings: [], gps: undefined }).finish();
  return new Promise((resolve) =>
    channel.unary(callHeaders(HuntService.reportFix.path, 'Bearer t', timeoutMs), fix, timeoutMs, (failure, reply) => resolve(failure ? { failure } : { ack: FixAck.decode(reply!) })),
  );
}

describe('scripts/loadgen/h2-channel', function () {
  this.timeout(10_000);
  let server: Server;
  let channel: H2Channel;

  before(async () => {
    server = new Server();
    server.addService(HuntService, {
      reportFix(c: ServerUnaryCall<Fix, FixAck>, done: sendUnaryData<FixAck>) {
        if (c.metadata.get('authorization')[0] !== 'Bearer t') return done({ code: status.UNAUTHENTICATED, details: 'no credential' });
        if (c.request.playerId === 'busy') return done({ code: status.RESOURCE_EXHAUSTED, details: 'mailbox full: 100%' });
        if (c.request.playerId === 'slow') return setTimeout(() => done(null, ack(0)), 2_000);
        done(null, ack(c.request.playerId.length));
      },
      subscribe(c: ServerWritableStream<SubscribeRequest, Event>) {
        for (let seq = c.request.afterSeq + 1; seq <= c.request.afterSeq + 3; seq++) c.write({ seq, atMs: 0, channel: `user.${c.request.playerId}`, prevSeq: seq - 1, body: undefined });
        if (c.request.playerId === 'ends') c.emit('error', { code: status.UNAVAILABLE, details: 'draining' });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    channel = new H2Channel(`127.0.0.1:${port}`);
  });

  after(() => {
    channel?.close();
    server?.forceShutdown();
  });

  it('a unary call: the reply, or the status and details the server sent', async () => {
    assert.equal((await call(channel, 'abcd')).ack?.score, 4);
    assert.deepEqual((await call(channel, 'busy')).failure, { code: status.RESOURCE_EXHAUSTED, details: 'mailbox full: 100%' });
  });

  it('a call past its deadline fails with DEADLINE_EXCEEDED', async () => {
    assert.equal((await call(channel, 'slow', 200)).failure?.code, status.DEADLINE_EXCEEDED);
  });

  it('a server stream delivers each message, then how it ended', async () => {
    const stream = (playerId: string) =>
      new Promise<{ seqs: number[]; failure?: CallStatus }>((resolve) => {
        const seqs: number[] = [];
        const s = channel.serverStream(callHeaders(HuntService.subscribe.path, 'Bearer t'), SubscribeRequest.encode({ playerId, afterSeq: 10, cursors: [] }).finish(), {
          onMessage: (m) => {
            seqs.push(Event.decode(m).seq);
            if (seqs.length === 3 && playerId !== 'ends') s.cancel();
          },
          onEnd: (failure) => resolve({ seqs, failure }),
        });
      });
    assert.deepEqual(await stream('p'), { seqs: [11, 12, 13], failure: undefined }, 'cancelled here: no failure');
    assert.deepEqual(await stream('ends'), { seqs: [11, 12, 13], failure: { code: status.UNAVAILABLE, details: 'draining' } });
  });

  it('reports a node that refuses or resets the connection as UNAVAILABLE, not INTERNAL (players fail over on it)', async () => {
    // A port nobody listens on, and a server that resets every connection it accepts (a node killed mid-call).
    const closed = await listen(createServer());
    await new Promise((resolve) => closed.server.close(resolve));
    const resetting = await listen(createServer((socket) => socket.resetAndDestroy()));
    try {
      for (const address of [`127.0.0.1:${closed.port}`, `127.0.0.1:${resetting.port}`]) {
        const c = new H2Channel(address);
        const unary = await call(c, 'p', 2_000);
        const stream = await new Promise<CallStatus | undefined>((resolve) =>
          c.serverStream(callHeaders(HuntService.subscribe.path, 'Bearer t'), SubscribeRequest.encode({ playerId: 'p', afterSeq: 0, cursors: [] }).finish(), { onMessage() {}, onEnd: resolve }),
        );
        c.close();
        assert.equal(unary.failure?.code, status.UNAVAILABLE, `unary to ${address}: ${JSON.stringify(unary)}`);
        assert.equal(stream?.code, status.UNAVAILABLE, `stream to ${address}: ${JSON.stringify(stream)}`);
        assert.equal(unary.failure?.connectionLost && stream?.connectionLost, true, 'no answer from a server: the connection is what failed');
      }
    } finally {
      resetting.server.close();
    }
  });

  it('endStatus maps HTTP statuses and stream resets as grpc-js does', () => {
    const table: Array<[number, Record<string, string> | undefined, number | undefined, number | undefined, string?]> = [
      [200, { 'grpc-status': '0' }, 0, undefined],
      [200, { 'grpc-status': '8', 'grpc-message': 'full' }, 0, status.RESOURCE_EXHAUSTED],
      [503, undefined, 0, status.UNAVAILABLE],
      [429, undefined, 0, status.UNAVAILABLE],
      [401, undefined, 0, status.UNAUTHENTICATED],
      [404, undefined, 0, status.UNIMPLEMENTED],
      [0, undefined, constants.NGHTTP2_REFUSED_STREAM, status.UNAVAILABLE],
      [0, undefined, constants.NGHTTP2_ENHANCE_YOUR_CALM, status.RESOURCE_EXHAUSTED],
      [0, undefined, constants.NGHTTP2_CANCEL, status.UNAVAILABLE],
      [200, undefined, constants.NGHTTP2_NO_ERROR, status.UNAVAILABLE],
      [200, undefined, constants.NGHTTP2_PROTOCOL_ERROR, status.INTERNAL],
      // A real INTERNAL_ERROR reset from the server, and the one node makes up when the connection fails.
      [200, undefined, constants.NGHTTP2_INTERNAL_ERROR, status.INTERNAL, 'ERR_HTTP2_STREAM_ERROR'],
      [200, undefined, constants.NGHTTP2_INTERNAL_ERROR, status.INTERNAL],
      [200, undefined, constants.NGHTTP2_INTERNAL_ERROR, status.UNAVAILABLE, 'ECONNRESET'],
      [0, undefined, constants.NGHTTP2_INTERNAL_ERROR, status.UNAVAILABLE, 'ECONNREFUSED'],
    ];
    for (const [http, trailers, rst, code, error] of table) assert.equal(endStatus(http, trailers, rst, error)?.code, code, `HTTP ${http}, trailers ${JSON.stringify(trailers)}, RST ${rst}, error ${error}`);
  });
});

function listen(server: NetServer): Promise<{ server: NetServer; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}
