/**
 * ReportFix's token check on a real node (native gRPC through gateway/h2stream and the real Hunt service): once a
 * token has verified, later calls take the node's cached answer without a promise (`authorizeKnownPlayer`); that
 * path refuses exactly what the full check refuses, and a refused fix changes nothing.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { HuntClient, type Fix, type FixAck } from '../../proto/gen/hunt.js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from './support-real-node.js';

const SECRET = 'report-fix-auth-test-secret-0123456789';

describe('gateway ReportFix: a token the node has verified before (real node)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let node: QuarryNode;
  let client: HuntClient;

  before(async () => {
    ({ node, dataDir } = await startRealNode('report-fix-auth', SECRET));
    client = new HuntClient(node.grpcAddress, credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const bearer = async (playerId: string) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 60 })}`);
    return md;
  };
  const fix = (playerId: string, clientSeq: number): Fix => ({ playerId, clientSeq, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -65 }], gps: undefined });
  const report = (f: Fix, md: Metadata) =>
    new Promise<{ ack?: FixAck; err?: ServiceError }>((resolve) => client.reportFix(f, md, (err, ack) => resolve(err ? { err } : { ack: ack! })));

  it('after a first good fix: another player id is PERMISSION_DENIED, no token UNAUTHENTICATED, and neither counts', async () => {
    const vera = await bearer('vera');
    assert.equal((await report(fix('vera', 1), vera)).ack?.accepted, true, 'first fix: the token verifies and is cached');

    const asWanda = await report(fix('wanda', 1), vera);
    assert.equal(asWanda.err?.code, status.PERMISSION_DENIED);
    assert.match(asWanda.err.details, /token of player "vera" cannot act as player "wanda"/);
    const none = await report(fix('vera', 2), new Metadata());
    assert.equal(none.err?.code, status.UNAUTHENTICATED);

    assert.equal((await report(fix('wanda', 1), await bearer('wanda'))).ack?.accepted, true, "wanda's seq 1 was not used up");
    assert.equal((await report(fix('vera', 2), vera)).ack?.accepted, true, "vera's seq 2 was not used up");
  });
});
