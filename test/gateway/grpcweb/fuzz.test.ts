import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { FrameError, decodeBase64Text, decodeSingleMessage } from '../../../gateway/grpcweb/frames.js';
import { Fix, HuntClient } from '../../../proto/gen/hunt.js';
import { TEST_MAX_MESSAGE_BYTES, startTestGateway, type TestGateway } from './support/gateway.js';
import { badH2Input, badWebInput, garbageConnection, http1Request, rng } from './support/fuzz-inputs.js';
import { garbage, h2Streams, pipeline } from './support/fuzz-drivers.js';
import { parseFrames } from './support/raw-web.js';

const WEB_INPUTS = 80_000;
const H2_INPUTS = 20_000;
const GARBAGE_CONNECTIONS = 500;
const SEED = Number(process.env.QUARRY_FUZZ_SEED ?? 20261123);

describe('gateway fuzz: bad inputs at both protocols leave the node answering and its state unchanged', function () {
  this.timeout(150_000);
  let gw: TestGateway;
  let junkGw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ singlePort: false });
    // Garbage goes to a single-port node (sniffer + grpc-js injector) whose short idle limit reclaims the
    // connections an HTTP/2 protocol error leaves half-open (grpc-js keeps them until idle otherwise).
    junkGw = await startTestGateway({ singlePort: true, connectionIdleMs: 500 });
  });
  after(async () => {
    await gw.close();
    await junkGw.close();
  });

  it('frame and base64 decoders only ever throw FrameError (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 100 }), (body, max) => {
      try {
        const msg = decodeSingleMessage(Buffer.from(body), max);
        return msg.length <= max && msg.length === body.length - 5;
      } catch (e) {
        return e instanceof FrameError;
      }
    }), { numRuns: 20_000, seed: SEED });
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      try {
        decodeBase64Text(text);
        return true;
      } catch (e) {
        return e instanceof FrameError;
      }
    }), { numRuns: 20_000, seed: SEED });
  });

  it(`${WEB_INPUTS + H2_INPUTS + GARBAGE_CONNECTIONS} generated bad inputs (seed ${SEED})`, async () => {
    const r = rng(SEED);
    const web = Array.from({ length: WEB_INPUTS }, () => http1Request(badWebInput(r, TEST_MAX_MESSAGE_BYTES)));
    const h2 = Array.from({ length: H2_INPUTS }, () => badH2Input(r, TEST_MAX_MESSAGE_BYTES));
    const junk = Array.from({ length: GARBAGE_CONNECTIONS }, () => garbageConnection(r));
    const sockets = 4;
    const per = Math.ceil(web.length / sockets);
    const [webAnswers, h2Result] = await Promise.all([
      Promise.all(Array.from({ length: sockets }, (_, i) => pipeline(gw.server.httpPort, web.slice(i * per, (i + 1) * per), 500, 30_000))).then((a) => a.flat()),
      Promise.all([0, 1].map((i) => h2Streams(gw.server.grpcPort, h2.slice(i * (H2_INPUTS / 2), (i + 1) * (H2_INPUTS / 2)), 64))),
    ]);
    assert.equal(webAnswers.length, WEB_INPUTS);
    let oks = 0;
    for (const a of webAnswers) {
      assert.ok([200, 415].includes(a.status), `HTTP status ${a.status}`);
      if (a.status !== 200) continue;
      const bin = a.body[0] === 0x80 || a.body[0] === 0 ? a.body : Buffer.from(a.body.toString('latin1'), 'base64');
      const code = parseFrames(bin).trailers['grpc-status'];
      assert.ok(code !== undefined, 'every gRPC-web answer ends with a status');
      if (code === '0') oks += 1;
    }
    assert.equal(oks, 0, 'no bad input succeeds');
    assert.equal(h2Result.reduce((n, x) => n + x.closed, 0), H2_INPUTS);

    const closedByServer = await Promise.all(junk.map((bytes) => garbage(junkGw.server.grpcPort, bytes, 10_000)));
    assert.equal(closedByServer.filter(Boolean).length, GARBAGE_CONNECTIONS, 'the server closes every garbage connection');
    const list = await fetch(`${junkGw.webUrl}/quarry.hunt.v1.Hunt/GetTreasureList`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto' }, body: Buffer.from([0, 0, 0, 0, 0]) });
    assert.equal(parseFrames(Buffer.from(await list.arrayBuffer())).trailers['grpc-status'], '0');

    assert.equal(gw.hunt.acceptedFixes.length, 0, 'no fix accepted');
    assert.deepEqual(gw.hunt.cancelled, [], 'no authorized call was ever started');
    await gw.hunt.until('gRPC-web calls drain after fuzz', () => gw.server.grpcWeb.activeCalls === 0);

    // The node still answers both protocols, and only the valid calls change state.
    const native = new HuntClient(gw.grpcAddress, credentials.createInsecure());
    try {
      const md = new Metadata();
      md.set('authorization', `Bearer ${await gw.token('after')}`);
      await new Promise<void>((resolve, reject) => native.reportFix(Fix.fromPartial({ playerId: 'after' }), md, (err: ServiceError | null) => (err ? reject(err) : resolve())));
    } finally {
      native.close();
    }
    const res = await fetch(`${gw.webUrl}/quarry.hunt.v1.Hunt/ReportFix`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', authorization: `Bearer ${await gw.token('after')}` },
      body: (() => { const m = Fix.encode(Fix.fromPartial({ playerId: 'after' })).finish(); const f = Buffer.alloc(5 + m.length); f.writeUInt32BE(m.length, 1); f.set(m, 5); return f; })(),
    });
    assert.equal(parseFrames(Buffer.from(await res.arrayBuffer())).trailers['grpc-status'], '0');
    assert.equal(gw.hunt.acceptedFixes.length, 2);
  });
});
