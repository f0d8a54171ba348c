import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Metadata as WebMetadata, createChannel, createClient } from 'nice-grpc-web';
import { Fix, HuntClient, HuntDefinition, SubscribeRequest, type Event, type FixAck } from '../../../proto/gen/hunt.js';
import { TEST_MAX_MESSAGE_BYTES, startTestGateway, type TestGateway } from './support/gateway.js';

function nativeFix(client: HuntClient, fix: Fix, md: Metadata): Promise<FixAck> {
  return new Promise((resolve, reject) => client.reportFix(fix, md, (err, res) => (err ? reject(err) : resolve(res))));
}

for (const singlePort of [false, true]) {
  describe(`gateway/server: one grpc-js Server for native gRPC and gRPC-web (${singlePort ? 'single port' : 'two ports'})`, () => {
    let gw: TestGateway;
    let dir: string;
    let native: HuntClient;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'quarry-gw-static-'));
      writeFileSync(join(dir, 'index.html'), '<h1>quarry</h1>');
      gw = await startTestGateway({ singlePort, staticDir: dir });
      native = new HuntClient(gw.grpcAddress, credentials.createInsecure());
    });
    after(async () => {
      native.close();
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves the same handler state over native gRPC and gRPC-web', async () => {
      if (singlePort) assert.equal(gw.server.grpcPort, gw.server.httpPort);
      const md = new Metadata();
      md.set('authorization', `Bearer ${await gw.token('sam')}`);
      const before = gw.hunt.acceptedFixes.length;
      const ack = await nativeFix(native, Fix.fromPartial({ playerId: 'sam', readings: [{ beaconId: 'b9', rssiDbm: -70 }] }), md);
      assert.equal(ack.closestBeaconId, 'b9');
      const web = createClient(HuntDefinition, createChannel(gw.webUrl));
      await web.reportFix(Fix.fromPartial({ playerId: 'sam' }), { metadata: WebMetadata({ authorization: `Bearer ${await gw.token('sam')}` }) });
      assert.equal(gw.hunt.acceptedFixes.length, before + 2);
    });

    it('native gRPC gets the same auth and size statuses', async () => {
      const none = await nativeFix(native, Fix.fromPartial({ playerId: 'sam' }), new Metadata()).catch((e: ServiceError) => e);
      assert.equal((none as ServiceError).code, status.UNAUTHENTICATED);
      const md = new Metadata();
      md.set('authorization', `Bearer ${await gw.token('sam')}`);
      const big = Fix.fromPartial({ playerId: 'sam', readings: [{ beaconId: 'x'.repeat(TEST_MAX_MESSAGE_BYTES), rssiDbm: 0 }] });
      const err = (await nativeFix(native, big, md).catch((e: ServiceError) => e)) as ServiceError;
      assert.equal(err.code, status.RESOURCE_EXHAUSTED);
    });

    it('native server stream is cancelled in the handler when the client cancels', async () => {
      const md = new Metadata();
      md.set('authorization', `Bearer ${await gw.token('sid')}`);
      const call = native.subscribe(SubscribeRequest.fromPartial({ playerId: 'sid' }), md);
      const first = new Promise<Event>((resolve) => call.once('data', resolve));
      call.on('error', () => undefined);
      assert.equal((await first).seq, 1);
      const cancelled = gw.hunt.until('native cancel reaches subscribe:sid', () => gw.hunt.cancelled.includes('subscribe:sid'));
      call.cancel();
      await cancelled;
    });

    it('serves static files and 404s the rest', async () => {
      const page = await fetch(gw.webUrl + '/');
      assert.equal(await page.text(), '<h1>quarry</h1>');
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      const escape = await fetch(gw.webUrl + '/..%2f..%2fetc%2fpasswd');
      assert.equal(escape.status, 404);
      await escape.arrayBuffer();
    });
  });
}

describe('gateway/server and adapter options', () => {
  it('refuse bad options by name at construction', async () => {
    const { GrpcWebAdapter, GrpcWebOptionsError, MissingHandlerError } = await import('../../../gateway/grpcweb/index.js');
    const { startGatewayServer, GatewayServerOptionsError } = await import('../../../gateway/server.js');
    const { HuntService } = await import('../../../proto/gen/hunt.js');
    assert.throws(() => new GrpcWebAdapter({ services: [], maxMessageBytes: 0, corsOrigins: [] }), (e: unknown) => e instanceof GrpcWebOptionsError && /maxMessageBytes must be a positive integer, got 0/.test(e.message));
    assert.throws(() => new GrpcWebAdapter({ services: [{ definition: HuntService, implementation: {} }], maxMessageBytes: 10, corsOrigins: [] }), (e: unknown) => e instanceof MissingHandlerError && /ReportFix/.test(e.message));
    await assert.rejects(startGatewayServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, services: [], maxMessageBytes: 10, corsOrigins: [], connectionIdleMs: 0 }), (e: unknown) => e instanceof GatewayServerOptionsError && /connectionIdleMs/.test(e.message));
  });
});
