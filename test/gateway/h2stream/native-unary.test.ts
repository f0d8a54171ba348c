/**
 * Native unary calls (ReportFix, GetTreasureList, GetLeaderboard) served by gateway/h2stream on the gateway's real
 * grpc-js Server (the real hook), driven by the grpc-js client and, for inputs no client library sends, by a raw
 * `node:http2` client. Services outside `services` (node links, admin) and unknown methods stay on grpc-js.
 */
import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { Metadata, credentials, makeGenericClientConstructor, status, type Client, type ClientUnaryCall, type ServiceDefinition, type ServiceError, type StatusObject, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Fix, FixAck, HuntClient, LeaderboardRequest, TreasureList, TreasureListRequest, type Leaderboard } from '../../../proto/gen/hunt.js';
import { startGatewayServer, type GatewayServer } from '../../../gateway/server.js';
import { HANG_BEACON, MISSING_BUILDING } from '../grpcweb/support/fake-hunt.js';
import { TEST_MAX_MESSAGE_BYTES, type TestGateway } from '../grpcweb/support/gateway.js';
import { bearerOf, connect, disconnect } from './support/connected.js';
import { frame, rawCall, rawSession } from './support/raw-h2.js';

const REPORT_FIX = '/quarry.hunt.v1.Hunt/ReportFix';

function fixOf(playerId: string, beaconId = 'b1', rssiDbm = -60): Fix {
  return Fix.fromPartial({ playerId, readings: [{ beaconId, rssiDbm }] });
}

/** A grpc-js unary call as a promise of its value, response metadata and status (or its error). */
function unary<Res>(
  start: (cb: (err: ServiceError | null, res?: Res) => void) => ClientUnaryCall,
): Promise<{ err: ServiceError | null; res: Res | undefined; headers: Metadata | undefined; trailers: Metadata | undefined }> {
  return new Promise((resolve) => {
    let headers: Metadata | undefined;
    let trailers: Metadata | undefined;
    let result: { err: ServiceError | null; res: Res | undefined } | undefined;
    const done = (): void => void (result && trailers && resolve({ ...result, headers, trailers }));
    const call = start((err, res) => {
      result = { err, res };
      done();
    });
    call.on('metadata', (m: Metadata) => (headers = m));
    call.on('status', (s: StatusObject) => {
      trailers = s.metadata;
      done();
    });
  });
}

for (const singlePort of [false, true]) {
  describe(`h2stream: native unary calls on our path (${singlePort ? 'single port' : 'two ports'})`, function () {
    this.timeout(20_000);
    let gw: TestGateway;
    let client: HuntClient;
    let raw: ClientHttp2Session;
    const md = (playerId: string) => bearerOf(gw, playerId);
    before(async () => ({ gw, client, raw } = await connect(singlePort)));
    after(() => disconnect({ gw, client, raw }));

    it('answers ReportFix, GetTreasureList and GetLeaderboard with values, response metadata and trailers', async () => {
      const native = gw.server.nativeStreams!;
      assert.deepEqual([...native.paths].sort(), ['/quarry.hunt.v1.Hunt/GetLeaderboard', '/quarry.hunt.v1.Hunt/GetTreasureList', REPORT_FIX, '/quarry.hunt.v1.Hunt/Subscribe']);
      const before = native.servedUnary;
      const asUna = await md('una');
      const fix = await unary<FixAck>((cb) => client.reportFix(fixOf('una'), asUna, cb));
      assert.equal(fix.err, null);
      assert.equal(fix.res!.closestBeaconId, 'b1');
      assert.deepEqual(fix.trailers!.get('x-fix-count'), [String(gw.hunt.acceptedFixes.length)]);
      const anonymous = new Metadata();
      const list = await unary<TreasureList>((cb) => client.getTreasureList(TreasureListRequest.fromPartial({ buildingId: 'hq' }), anonymous, cb));
      assert.equal(list.err, null);
      assert.deepEqual(list.res, TreasureList.fromPartial({ buildingId: 'hq', version: 3, treasures: [{ id: 't1', name: 'Golden ✓ key', capacity: 2, claimedBy: ['alice'] }] }));
      assert.deepEqual(list.headers!.get('x-building'), ['hq'], 'sendMetadata reaches the client as response headers');
            const board = await unary<Leaderboard>((cb) => client.getLeaderboard(LeaderboardRequest.fromPartial({ playerId: 'una' }), asUna, cb));
      assert.equal(board.err, null);
      assert.deepEqual(board.res!.own, { playerId: 'una', score: 10, rank: 1 });
      assert.equal(native.servedUnary, before + 3, 'all three served by h2stream, not grpc-js');
      await waitOpen(gw.server, 0);
    });

    it('writes headers, one message and OK trailers as grpc-js does (raw client)', async () => {
      const answer = await rawCall(raw, REPORT_FIX, frame(Buffer.from(Fix.encode(fixOf('wir')).finish())), { authorization: `Bearer ${await gw.token('wir')}` });
      assert.equal(answer.headers[':status'], 200);
      assert.equal(answer.headers['content-type'], 'application/grpc+proto');
      assert.equal(answer.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
      assert.equal(answer.messages.length, 1);
      assert.equal(FixAck.decode(answer.messages[0]!).accepted, true);
      assert.equal(answer.trailers?.['grpc-status'], '0');
      assert.equal(answer.trailers?.['grpc-message'], 'OK');
      assert.equal(answer.trailers?.['x-fix-count'], String(gw.hunt.acceptedFixes.length));
    });

    it('answers handler errors with their status and message: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, NOT_FOUND', async () => {
      const native = gw.server.nativeStreams!;
      const before = native.servedUnary;
      const none = await rawCall(raw, REPORT_FIX, frame(Buffer.from(Fix.encode(fixOf('ann')).finish())));
      assert.equal(none.code, status.UNAUTHENTICATED);
      assert.match(none.details, /token/i);
      assert.equal(none.trailers, undefined, 'trailers-only (status in the only HEADERS frame)');
      assert.equal(none.headers['content-type'], 'application/grpc+proto');
      const asBob = await md('bob');
      const other = await unary<FixAck>((cb) => client.reportFix(fixOf('ann'), asBob, cb));
      assert.equal(other.err?.code, status.PERMISSION_DENIED);
      assert.ok(other.err.details.length > 0, 'PERMISSION_DENIED carries a reason');
      const asNan = await md('nan');
      const nan = await unary<FixAck>((cb) => client.reportFix(fixOf('nan', 'b1', Number.NaN), asNan, cb));
      assert.deepEqual([nan.err?.code, nan.err?.details], [status.INVALID_ARGUMENT, 'rssi must be finite']);
      const anon = new Metadata();
      const missing = await unary<TreasureList>((cb) => client.getTreasureList(TreasureListRequest.fromPartial({ buildingId: MISSING_BUILDING }), anon, cb));
      assert.deepEqual([missing.err?.code, missing.err?.details], [status.NOT_FOUND, `unknown building “${MISSING_BUILDING}” (100% sure)`]);
      assert.equal(native.servedUnary, before + 4);
    });

    it('ends the call at grpc-timeout with DEADLINE_EXCEEDED and cancels the handler', async () => {
      const asDln = await md('dln');
      const late = await unary<FixAck>((cb) => client.reportFix(fixOf('dln', HANG_BEACON), asDln, { deadline: new Date(Date.now() + 300) }, cb));
      assert.equal(late.err?.code, status.DEADLINE_EXCEEDED);
      await gw.hunt.until('deadline cancels fix:dln', () => gw.hunt.cancelled.includes('fix:dln'));
      const body = frame(Buffer.from(Fix.encode(fixOf('dlr', HANG_BEACON)).finish()));
      const wire = await rawCall(raw, REPORT_FIX, body, { authorization: `Bearer ${await gw.token('dlr')}`, 'grpc-timeout': '300m' });
      assert.deepEqual([wire.code, wire.details], [status.DEADLINE_EXCEEDED, 'Deadline exceeded']);
      assert.equal(wire.trailers, undefined, 'nothing was sent before the deadline: trailers-only');
      await gw.hunt.until('deadline cancels fix:dlr', () => gw.hunt.cancelled.includes('fix:dlr'));
      const bad = await rawCall(raw, REPORT_FIX, body, { 'grpc-timeout': 'soon' });
      assert.deepEqual([bad.code, bad.details], [status.INVALID_ARGUMENT, 'invalid grpc-timeout "soon"']);
    });

    it('refuses oversized (RESOURCE_EXHAUSTED), truncated, empty and garbage requests; reads gzip', async () => {
      const asBig = await md('big');
      const big = await unary<FixAck>((cb) => client.reportFix(Fix.fromPartial({ playerId: 'x'.repeat(TEST_MAX_MESSAGE_BYTES) }), asBig, cb));
      assert.equal(big.err?.code, status.RESOURCE_EXHAUSTED);
      assert.match(big.err!.details, /^Received message larger than max \(\d+ vs 4096\)$/);
      const auth = { authorization: `Bearer ${await gw.token('tru')}` };
      const truncated = await rawCall(raw, REPORT_FIX, frame(Buffer.from([10, 3, 116]), 0, 40), auth);
      assert.deepEqual([truncated.code, truncated.details], [status.INVALID_ARGUMENT, 'truncated request message: 3 of 40 bytes']);
      const empty = await rawCall(raw, REPORT_FIX, Buffer.alloc(0), auth);
      assert.deepEqual([empty.code, empty.details], [status.UNIMPLEMENTED, `Received no request message for server streaming method ${REPORT_FIX}`]);
      const garbage = await rawCall(raw, REPORT_FIX, frame(Buffer.from([0xff, 0xff, 0xff])), auth);
      assert.equal(garbage.code, status.INVALID_ARGUMENT);
      assert.match(garbage.details, /^request is not a valid \/quarry\.hunt\.v1\.Hunt\/\w+ message: /);
      const request = Buffer.from(Fix.encode(fixOf('tru')).finish());
      const gz = await rawCall(raw, REPORT_FIX, frame(gzipSync(request), 1), { ...auth, 'grpc-encoding': 'gzip' });
      assert.equal(gz.code, status.OK);
      assert.equal(FixAck.decode(gz.messages[0]!).closestBeaconId, 'b1');
    });

    it('leaves unknown methods and wrong content types to grpc-js', async () => {
      const servedBefore = gw.server.nativeStreams!.served;
      const unknown = await rawCall(raw, '/quarry.hunt.v1.Hunt/Nope', frame(Buffer.alloc(0)));
      assert.equal(unknown.code, status.UNIMPLEMENTED);
      assert.match(unknown.details, /Nope/);
      const json = await rawCall(raw, REPORT_FIX, frame(Buffer.alloc(0)), { 'content-type': 'application/json' });
      assert.equal(json.headers[':status'], 415, "grpc-js's answer to a non-gRPC content type");
      assert.equal(gw.server.nativeStreams!.served, servedBefore);
    });
  });
}

/** A one-method service with raw Buffer messages: a node-link or admin stand-in, or a misbehaving player service. */
function rawService(name: string): ServiceDefinition {
  const id = (b: Buffer): Buffer => b;
  const checked = (v: unknown): Buffer => {
    if (!Buffer.isBuffer(v)) throw new TypeError('not a Buffer');
    return v;
  };
  return { call: { path: `/test.${name}/Call`, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: checked, responseDeserialize: id } };
}

/** A promise with its resolve, for a handler to tell the test where it is. */
function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type RawCall = { request: Buffer; cancelled: boolean; getDeadline(): unknown; on(event: 'cancelled', l: (reason: string) => void): unknown };

describe('h2stream: which unary calls go our way', function () {
  this.timeout(20_000);
  let server: GatewayServer;
  let raw: ClientHttp2Session;
  /** Hanging calls by request text: told when the handler holds the call, and when 'cancelled' reached it. */
  const hanging = new Map<string, { held: ReturnType<typeof signal<RawCall>>; cancelled: ReturnType<typeof signal<string>> }>();
  const hang = (what: string) => {
    const entry = { held: signal<RawCall>(), cancelled: signal<string>() };
    hanging.set(what, entry);
    return entry;
  };

  before(async () => {
    const misbehaving: UntypedServiceImplementation = {
      call: ((call: RawCall, cb: (err: unknown, value?: unknown, trailers?: Metadata) => void) => {
        const what = call.request.toString();
        const held = hanging.get(what);
        if (held) {
          call.on('cancelled', (reason) => held.cancelled.resolve(reason));
          return held.held.resolve(call);
        }
        if (what === 'throw') throw new Error('handler bug');
        if (what === 'bad-value') return cb(null, 'not a buffer');
        if (what === 'plain-error') return cb(new Error('plain failure'));
        const trailers = new Metadata();
        trailers.set('x-why', 'told');
        if (what === 'error-trailers') return cb({ code: status.FAILED_PRECONDITION, details: 'not now' }, undefined, trailers);
        cb(null, Buffer.from(`player:${what}`));
      }) as unknown as UntypedServiceImplementation[string],
    };
    server = await startGatewayServer({
      host: '127.0.0.1', grpcPort: 0, httpPort: 0, maxMessageBytes: 4096, corsOrigins: [],
      services: [{ definition: rawService('Player'), implementation: misbehaving }],
      beforeBind: (grpc) => grpc.addService(rawService('Admin'), { call: (call: { request: Buffer }, cb: (e: null, v: Buffer) => void) => cb(null, Buffer.from(`admin:${call.request.toString()}`)) }),
    });
    raw = await rawSession(`127.0.0.1:${server.grpcPort}`);
  });
  after(async () => {
    raw?.close();
    await server?.close();
  });

  it('serves a native-only service (node links, admin) from grpc-js, the player services from h2stream', async () => {
    const native = server.nativeStreams!;
    assert.deepEqual(native.paths, ['/test.Player/Call']);
    const admin = await rawCall(raw, '/test.Admin/Call', frame(Buffer.from('a')));
    assert.deepEqual([admin.code, admin.messages[0]!.toString()], [status.OK, 'admin:a']);
    assert.equal(native.served, 0, 'grpc-js served the admin call');
    const player = await rawCall(raw, '/test.Player/Call', frame(Buffer.from('p')));
    assert.deepEqual([player.code, player.messages[0]!.toString()], [status.OK, 'player:p']);
    assert.equal(native.servedUnary, 1);
  });

  it('answers a throwing handler, an unserializable value and errors as grpc-js does', async () => {
    const thrown = await rawCall(raw, '/test.Player/Call', frame(Buffer.from('throw')));
    assert.deepEqual([thrown.code, thrown.details], [status.UNKNOWN, 'Unknown error']);
    const badValue = await rawCall(raw, '/test.Player/Call', frame(Buffer.from('bad-value')));
    assert.deepEqual([badValue.code, badValue.details], [status.INTERNAL, 'Error serializing response']);
    const plain = await rawCall(raw, '/test.Player/Call', frame(Buffer.from('plain-error')));
    assert.deepEqual([plain.code, plain.details], [status.UNKNOWN, 'plain failure']);
    const withTrailers = await rawCall(raw, '/test.Player/Call', frame(Buffer.from('error-trailers')));
    assert.deepEqual([withTrailers.code, withTrailers.details, withTrailers.headers['x-why']], [status.FAILED_PRECONDITION, 'not now', 'told']);
    assert.equal(server.nativeStreams!.open, 0);
  });

  it('cancels the handler when the client resets the stream (raw RST_STREAM, grpc-js client cancel)', async () => {
    const rst = hang('rst');
    const req = raw.request({ ':method': 'POST', ':path': '/test.Player/Call', 'content-type': 'application/grpc+proto', te: 'trailers' });
    req.on('error', () => undefined);
    req.end(frame(Buffer.from('rst')));
    const call = await rst.held.promise;
    assert.equal(call.cancelled, false);
    req.close();
    assert.equal(await rst.cancelled.promise, 'cancelled');
    assert.equal(call.cancelled, true);

    const PlayerClient = makeGenericClientConstructor(rawService('Player'), 'Player');
    const client = new PlayerClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure()) as unknown as Client & { call: (req: Buffer, cb: (err: ServiceError | null) => void) => { cancel(): void } };
    try {
      const viaClient = hang('client');
      const failed = signal<ServiceError | null>();
      const pending = client.call(Buffer.from('client'), (err) => failed.resolve(err));
      await viaClient.held.promise;
      pending.cancel();
      assert.equal(await viaClient.cancelled.promise, 'cancelled');
      assert.equal((await failed.promise)?.code, status.CANCELLED);
    } finally {
      client.close();
    }
    await waitOpen(server, 0);
  });

  it('arms the deadline from grpc-timeout: DEADLINE_EXCEEDED to the client, getDeadline and cancellation to the handler', async () => {
    const late = hang('late');
    const startedMs = Date.now();
    const answer = rawCall(raw, '/test.Player/Call', frame(Buffer.from('late')), { 'grpc-timeout': '100m' });
    const call = await late.held.promise;
    const deadline = call.getDeadline();
    assert.ok(deadline instanceof Date && deadline.getTime() >= startedMs + 100 - 5, `deadline ${String(deadline)} about 100 ms after ${startedMs}`);
    assert.equal(await late.cancelled.promise, 'cancelled');
    const wire = await answer;
    assert.deepEqual([wire.code, wire.details, wire.trailers], [status.DEADLINE_EXCEEDED, 'Deadline exceeded', undefined]);
    await waitOpen(server, 0);
  });
});

/** Waits until the gateway has `n` native calls open (each stream close is a separate event; no hook to wait on). */
function waitOpen(server: GatewayServer, n: number, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = (): void => {
      const open = server.nativeStreams!.open;
      if (open === n) return resolve();
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`native calls open: expected ${n} within ${timeoutMs} ms, seen ${open}`));
      setTimeout(check, 2);
    };
    check();
  });
}
