/** The official grpc-web client in real headless Chromium, cross-origin, against the adapter. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Event, Fix, FixAck, SubscribeRequest, TreasureListRequest } from '../../../proto/gen/hunt.js';
import { MISSING_BUILDING } from './support/fake-hunt.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../web/support/browser.js';

// The page lives in the source tree (copy-assets only copies product folders), next to this file's source.
const PAGE = fileURLToPath(new URL('../../../../test/gateway/grpcweb/page/index.html', import.meta.url));
const GRPC_WEB_ESM = createRequire(import.meta.url).resolve('grpc-web').replace(/index\.js$/, 'index.esm.js');

type StreamEvent = { kind: string; value: unknown };

describe('gateway/grpcweb in headless Chromium (official grpc-web client, cross-origin)', function () {
  this.timeout(30_000);
  let pageServer: Server;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const events: StreamEvent[] = [];
  let onEvent: (() => void) | undefined;

  const waitEvents = (phase: string, n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${phase}: expected ${n} stream events, saw ${JSON.stringify(events.map((e) => e.kind))}`)), 10_000);
      onEvent = () => {
        if (events.length < n) return;
        clearTimeout(timer);
        onEvent = undefined;
        resolve();
      };
      onEvent();
    });

  before(async () => {
    const files: Record<string, [string, Buffer]> = {
      '/': ['text/html; charset=utf-8', readFileSync(PAGE)],
      '/grpc-web.js': ['text/javascript', readFileSync(GRPC_WEB_ESM)],
    };
    pageServer = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    });
    await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r));
    const pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
    gw = await startTestGateway({ corsOrigins: [pageOrigin] });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.exposeFunction('onStreamEvent', (kind: string, value: unknown) => {
      events.push({ kind, value });
      onEvent?.();
    });
    await page.goto(pageOrigin + '/');
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
    await new Promise<void>((r) => (pageServer ? pageServer.close(() => r()) : r()));
  });

  const unary = (path: string, request: Uint8Array, metadata: Record<string, string>, format: 'text' | 'binary') =>
    page.evaluate(
      ([base, p, req, md, f]) => (globalThis as unknown as { unary: (...a: unknown[]) => Promise<{ ok?: number[]; code?: number; message?: string }> }).unary(base, p, req, md, f),
      [gw.webUrl, path, Array.from(request), metadata, format] as const,
    );

  for (const format of ['text', 'binary'] as const) {
    it(`unary call in ${format} format, with an authorization header through CORS`, async () => {
      const before = gw.hunt.acceptedFixes.length;
      const res = await unary('/quarry.hunt.v1.Hunt/ReportFix', Fix.encode(Fix.fromPartial({ playerId: 'carol', readings: [{ beaconId: 'b4', rssiDbm: -40 }] })).finish(), { authorization: `Bearer ${await gw.token('carol')}` }, format);
      assert.ok(res.ok, `call failed: ${JSON.stringify(res)}`);
      assert.equal(FixAck.decode(Uint8Array.from(res.ok)).closestBeaconId, 'b4');
      assert.equal(gw.hunt.acceptedFixes.length, before + 1);
    });
  }

  it('error status with a non-ASCII message', async () => {
    const res = await unary('/quarry.hunt.v1.Hunt/GetTreasureList', TreasureListRequest.encode({ buildingId: MISSING_BUILDING }).finish(), {}, 'text');
    assert.deepEqual(res, { code: 5, message: `unknown building “${MISSING_BUILDING}” (100% sure)` });
  });

  it('server stream arrives message by message, then OK; cancel reaches the handler', async () => {
    events.length = 0;
    const start = (player: string, token: string) =>
      page.evaluate(
        ([base, req, md]) => (globalThis as unknown as { stream: (...a: unknown[]) => void }).stream(base, '/quarry.hunt.v1.Hunt/Subscribe', req, md),
        [gw.webUrl, Array.from(SubscribeRequest.encode(SubscribeRequest.fromPartial({ playerId: player, afterSeq: 20 })).finish()), { authorization: `Bearer ${token}` }] as const,
      );
    await start('carol', await gw.token('carol'));
    await waitEvents('first message of carol', 1);
    assert.ok(gw.hunt.isStreaming('carol'), 'first message arrived while the handler keeps the stream open');
    assert.equal(Event.decode(Uint8Array.from(events[0]!.value as number[])).seq, 21);
    gw.hunt.push('carol', Event.fromPartial({ seq: 22 }));
    await waitEvents('second message of carol', 2);
    assert.equal(Event.decode(Uint8Array.from(events[1]!.value as number[])).seq, 22);
    gw.hunt.end('carol');
    await waitEvents('status and end of carol', 4);
    assert.deepEqual(events.slice(2), [{ kind: 'status', value: 0 }, { kind: 'end', value: null }]);

    events.length = 0;
    await start('dave', await gw.token('dave'));
    await waitEvents('first message of dave', 1);
    const cancelled = gw.hunt.until('Chromium cancel reaches subscribe:dave', () => gw.hunt.cancelled.includes('subscribe:dave'));
    await page.evaluate(() => (globalThis as unknown as { cancelStream: () => void }).cancelStream());
    await cancelled;
  });
});
