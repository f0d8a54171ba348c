/**
 * The real Subscribe handler (gateway/hunt-service.ts) over our native path: a reader that keeps up gets every event,
 * one that stops reading is cut with RESOURCE_EXHAUSTED by the handler's `writableLength` check, as on grpc-js.
 * And the fallback: when the hook cannot be installed, grpc-js serves Subscribe.
 */
import assert from 'node:assert/strict';
import type { ClientHttp2Session, Http2Server } from 'node:http2';
import { Metadata, Server, ServerCredentials, credentials, status } from '@grpc/grpc-js';
import type { HuntGame } from '../../../actors/hunt/index.js';
import { memoryLogger } from '../../../actors/runtime/logger.js';
import { TokenVerifier, issuePlayerToken } from '../../../gateway/auth/index.js';
import { NativeStreams, installNativeStreams } from '../../../gateway/h2stream/index.js';
import { huntService } from '../../../gateway/hunt-service.js';
import type { EventListener, Notifier, PlayerStream } from '../../../gateway/notify/notifier.js';
import { startGatewayServer, type GatewayServer } from '../../../gateway/server.js';
import { Event, Fix, FixAck, HuntClient, SubscribeRequest } from '../../../proto/gen/hunt.js';
import { FakeHunt } from '../grpcweb/support/fake-hunt.js';
import { frame, rawSession } from './support/raw-h2.js';

const SECRET = 'h2stream-test-secret-0123456789abcdef';
const SUBSCRIBE = '/quarry.hunt.v1.Hunt/Subscribe';
const WAIT_MS = 10_000;
/** Events the handler may hold for a client before it cuts the stream (the Writable counts objects). */
const MAX_BUFFER = 32;
/** Upper bound of events pushed to a stalled reader; the cut comes after ~100 (flow-control window + MAX_BUFFER). */
const MAX_PUSHED = 5_000;

/** A notifier that lets the test push events to each subscribed player. */
class PushNotifier implements Pick<Notifier, 'subscribe'> {
  readonly listeners = new Map<string, { onEvent: EventListener; unsubscribed: boolean }>();
  subscribe(playerId: string, _cursor: unknown, onEvent: EventListener): PlayerStream {
    const entry = { onEvent, unsubscribed: false };
    this.listeners.set(playerId, entry);
    return { playerId, follow: () => undefined, unfollow: () => undefined, cursor: () => ({}), unsubscribe: () => void (entry.unsubscribed = true) };
  }
  push(playerId: string, seq: number): void {
    this.listeners.get(playerId)!.onEvent({ channel: `user.${playerId}`, seq, prevSeq: seq - 1, atMs: seq, body: { $case: 'achievement', value: 'a'.repeat(1_000) } });
  }
}

function deadline(phase: string, seen: () => string): { timer: NodeJS.Timeout; failed: Promise<never> } {
  let timer!: NodeJS.Timeout;
  const failed = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${phase}: not done within ${WAIT_MS} ms; ${seen()}`)), WAIT_MS)));
  return { timer, failed };
}

describe('h2stream: backpressure with the real Subscribe handler', function () {
  this.timeout(30_000);
  let server: GatewayServer;
  let notifier: PushNotifier;
  let raw: ClientHttp2Session;
  const token = (playerId: string) => issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 10 });

  before(async () => {
    notifier = new PushNotifier();
    const game = { profile: async () => ({ session: { buildingId: undefined } }) } as unknown as HuntGame;
    server = await startGatewayServer({
      host: '127.0.0.1', grpcPort: 0, httpPort: 0, maxMessageBytes: 4096, corsOrigins: [],
      services: [huntService({ game, notifier: notifier as unknown as Notifier, verifier: new TokenVerifier({ hs256Secret: SECRET }), logger: memoryLogger(), maxStreamBufferEvents: MAX_BUFFER })],
    });
    raw = await rawSession(`127.0.0.1:${server.grpcPort}`);
  });
  after(async () => {
    raw?.close();
    await server?.close();
  });

  async function open(playerId: string) {
    const req = raw.request({ ':method': 'POST', ':path': SUBSCRIBE, 'content-type': 'application/grpc+proto', te: 'trailers', authorization: `Bearer ${await token(playerId)}` });
    req.end(frame(Buffer.from(SubscribeRequest.encode({ playerId, afterSeq: 0, cursors: [] }).finish())));
    await new Promise<void>((resolve, reject) => req.once('response', () => resolve()).once('error', reject));
    assert.ok(notifier.listeners.has(playerId), `${playerId} subscribed in the handler`);
    return req;
  }

  it('a reader that keeps up gets every event in order (write callbacks fire as the stream drains)', async () => {
    const req = await open('fast');
    const seqs: number[] = [];
    let pending = Buffer.alloc(0);
    let next: (() => void) | undefined;
    req.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        seqs.push(Event.decode(pending.subarray(5, 5 + pending.readUInt32BE(1))).seq);
        pending = pending.subarray(5 + pending.readUInt32BE(1));
        next?.();
      }
    });
    const { timer, failed } = deadline('fast reader', () => `received ${seqs.length} events, cut ${notifier.listeners.get('fast')!.unsubscribed}`);
    try {
      for (let seq = 1; seq <= 300; seq++) {
        const got = new Promise<void>((resolve) => (next = () => seqs.length >= seq && resolve()));
        notifier.push('fast', seq);
        await Promise.race([got, failed]);
      }
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i + 1));
    assert.equal(notifier.listeners.get('fast')!.unsubscribed, false);
    req.close();
  });

  it('a reader that stops reading is cut with RESOURCE_EXHAUSTED once the handler holds more than its buffer', async () => {
    const req = await open('slow');
    req.pause();
    const entry = notifier.listeners.get('slow')!;
    let pushed = 0;
    while (!entry.unsubscribed && pushed < MAX_PUSHED) {
      notifier.push('slow', ++pushed);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(entry.unsubscribed, `the handler cut the stream within ${MAX_PUSHED} events (pushed ${pushed})`);
    assert.ok(pushed > MAX_BUFFER, `more than the buffer went out before the reader stalled (pushed ${pushed})`);
    const trailers = new Promise<Record<string, unknown>>((resolve) => req.once('trailers', resolve));
    req.resume();
    const { timer, failed } = deadline('slow reader trailers', () => `pushed ${pushed}`);
    const t = await Promise.race([trailers, failed]).finally(() => clearTimeout(timer));
    assert.equal(Number(t['grpc-status']), status.RESOURCE_EXHAUSTED);
    assert.equal(decodeURIComponent(String(t['grpc-message'])), 'client reads too slowly; resume from your last seq');
  });
});

describe('h2stream: fallback when the hook cannot be installed', function () {
  this.timeout(20_000);

  async function boundFakeHunt(): Promise<{ grpc: Server; hunt: FakeHunt; port: number }> {
    const hunt = new FakeHunt(new TokenVerifier({ hs256Secret: SECRET }));
    const grpc = new Server({ 'grpc.enable_channelz': 0 });
    const binding = hunt.binding();
    grpc.addService(binding.definition, binding.implementation);
    const port = await new Promise<number>((resolve, reject) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    return { grpc, hunt, port };
  }

  it('refuses, with one warning naming why, a surface it does not know; grpc-js then serves Subscribe and ReportFix', async () => {
    const { grpc, hunt, port } = await boundFakeHunt();
    const client = new HuntClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const streams = new NativeStreams({ services: [hunt.binding()], maxMessageBytes: 4096 });
      // A grpc-js that dispatched streams with two listeners (or none) is not one this hook was written for.
      const [h2] = [...(grpc as unknown as { http2Servers: Map<Http2Server, unknown> }).http2Servers.keys()];
      const extra = (): void => undefined;
      h2!.on('stream', extra);
      const warnings: string[] = [];
      assert.equal(installNativeStreams(grpc, streams, (m) => warnings.push(m)), false);
      assert.deepEqual(warnings, ["grpc-js HTTP/2 server has 2 'stream' listeners, expected 1; native player calls stay on grpc-js (more memory per open stream, more CPU per unary call)"]);
      h2!.off('stream', extra);

      const md = new Metadata();
      md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId: 'fal', ttlMinutes: 10 })}`);
      const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'fal', afterSeq: 1 }), md);
      call.on('error', () => undefined);
      const first = await new Promise<Event>((resolve) => call.once('data', resolve));
      assert.equal(first.seq, 2);
      assert.equal(streams.served, 0, 'grpc-js served it');
      const cancelled = hunt.until('cancel reaches subscribe:fal on grpc-js', () => hunt.cancelled.includes('subscribe:fal'));
      call.cancel();
      await cancelled;
      const ack = await new Promise<FixAck>((resolve, reject) => client.reportFix(Fix.fromPartial({ playerId: 'fal', readings: [{ beaconId: 'b2', rssiDbm: -50 }] }), md, (err, res) => (err ? reject(err) : resolve(res))));
      assert.equal(ack.closestBeaconId, 'b2');
      assert.equal(streams.served, 0, 'grpc-js served the unary call too');

      const noMap: string[] = [];
      assert.equal(installNativeStreams({} as Server, streams, (m) => noMap.push(m)), false);
      assert.match(noMap[0]!, /^grpc-js Server has no http2Servers map;/);
    } finally {
      client.close();
      grpc.forceShutdown();
    }
  });

  it('an unbound server has nothing to hook; startGatewayServer with nativeStreams off leaves everything to grpc-js', async () => {
    const hunt = new FakeHunt(new TokenVerifier({ hs256Secret: SECRET }));
    const warnings: string[] = [];
    assert.equal(installNativeStreams(new Server(), new NativeStreams({ services: [hunt.binding()], maxMessageBytes: 10 }), (m) => warnings.push(m)), false);
    assert.match(warnings[0]!, /^grpc-js Server has no HTTP\/2 server to hook/);
    const server = await startGatewayServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, maxMessageBytes: 4096, corsOrigins: [], services: [hunt.binding()], nativeStreams: false });
    const client = new HuntClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
    try {
      assert.equal(server.nativeStreams, undefined);
      const md = new Metadata();
      md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId: 'off', ttlMinutes: 10 })}`);
      const call = client.subscribe(SubscribeRequest.fromPartial({ playerId: 'off' }), md);
      call.on('error', () => undefined);
      assert.equal((await new Promise<Event>((resolve) => call.once('data', resolve))).seq, 1);
      const cancelled = hunt.until('cancel reaches subscribe:off', () => hunt.cancelled.includes('subscribe:off'));
      call.cancel();
      await cancelled;
    } finally {
      client.close();
      await server.close();
    }
  });
});
