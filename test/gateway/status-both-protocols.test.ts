/**
 * The same failure gets the same status over native gRPC (a raw `node:http2` client on the gateway's gRPC port, served
 * by gateway/h2stream) and over gRPC-web (HTTP/1.1, gateway/grpcweb): both paths take their statuses from
 * gateway/errors.ts. Until issue 18 a bad `grpc-timeout` was INTERNAL natively and INVALID_ARGUMENT over gRPC-web.
 */
import assert from 'node:assert/strict';
import type { ClientHttp2Session } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { Fix, TreasureListRequest } from '../../proto/gen/hunt.js';
import { MISSING_BUILDING } from './grpcweb/support/fake-hunt.js';
import { startTestGateway, type TestGateway } from './grpcweb/support/gateway.js';
import { webCall } from './grpcweb/support/raw-web.js';
import { frame, rawCall, rawSession } from './h2stream/support/raw-h2.js';

const FIX = '/quarry.hunt.v1.Hunt/ReportFix';
const TREASURES = '/quarry.hunt.v1.Hunt/GetTreasureList';

interface Case {
  name: string;
  path: string;
  payload: Uint8Array;
  headers: (gw: TestGateway) => Promise<Record<string, string>>;
  code: status;
}

const fix = Fix.encode(Fix.fromPartial({ playerId: 'tia', clientSeq: 1, clientTimeMs: 1, readings: [{ beaconId: 'b1', rssiDbm: -60 }] })).finish();
const bearer = async (gw: TestGateway, playerId: string) => ({ authorization: `Bearer ${await gw.token(playerId)}` });

const CASES: Case[] = [
  { name: 'a malformed grpc-timeout', path: FIX, payload: fix, headers: async (gw) => ({ ...(await bearer(gw, 'tia')), 'grpc-timeout': 'soon' }), code: status.INVALID_ARGUMENT },
  { name: 'a grpc-timeout with too many digits', path: TREASURES, payload: TreasureListRequest.encode({ buildingId: 'hq' }).finish(), headers: async () => ({ 'grpc-timeout': '123456789S' }), code: status.INVALID_ARGUMENT },
  { name: 'a fix without a token', path: FIX, payload: fix, headers: async () => ({}), code: status.UNAUTHENTICATED },
  { name: "another player's fix", path: FIX, payload: fix, headers: (gw) => bearer(gw, 'bob'), code: status.PERMISSION_DENIED },
  { name: 'an unknown building', path: TREASURES, payload: TreasureListRequest.encode({ buildingId: MISSING_BUILDING }).finish(), headers: async () => ({}), code: status.NOT_FOUND },
];

describe('gateway: the same status for the same failure over native gRPC and gRPC-web (issue 18)', function () {
  this.timeout(20_000);
  let gw: TestGateway;
  let raw: ClientHttp2Session;
  before(async () => {
    gw = await startTestGateway();
    raw = await rawSession(gw.grpcAddress);
  });
  after(async () => {
    raw?.close();
    await gw?.close();
  });

  for (const c of CASES) {
    it(`${c.name}: ${status[c.code]} with the same details on both`, async () => {
      const headers = await c.headers(gw);
      const native = await rawCall(raw, c.path, frame(Buffer.from(c.payload)), headers);
      const web = await webCall(gw.webUrl + c.path, frame(Buffer.from(c.payload)), { headers });
      const webCode = Number(web.trailers['grpc-status']);
      const webDetails = decodeURIComponent(web.trailers['grpc-message'] ?? '');
      assert.equal(status[native.code], status[c.code], `native gRPC answered ${status[native.code]} (${native.details})`);
      assert.equal(status[webCode], status[c.code], `gRPC-web answered ${status[webCode]} (${webDetails})`);
      assert.equal(native.details, webDetails, 'the same details on both protocols');
    });
  }
});
