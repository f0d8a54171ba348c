/**
 * `hunt.maxClockAheadMs` on a real node: a fix stamped further ahead of the node's clock than the setting is refused
 * with INVALID_ARGUMENT, one within it is served. (The limit used to be a constant beside a setting nothing read.)
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { HuntClient, type FixAck } from '../../proto/gen/hunt.js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from './support-real-node.js';

const SECRET = 'clock-ahead-test-secret-0123456789abc';

describe('hunt.maxClockAheadMs (real node)', function () {
  this.timeout(60_000);
  const started: Array<{ node: QuarryNode; dataDir: string; client: HuntClient }> = [];

  after(async () => {
    for (const { node, dataDir, client } of started) {
      client.close();
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const fixAhead = async (settings: Record<string, number>, aheadMs: number): Promise<{ ack?: FixAck; err?: ServiceError }> => {
    const { node, dataDir } = await startRealNode('clock-ahead', SECRET, settings);
    const client = new HuntClient(node.grpcAddress, credentials.createInsecure());
    started.push({ node, dataDir, client });
    const md = new Metadata();
    md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId: 'tess', ttlMinutes: 60 })}`);
    const fix = { playerId: 'tess', clientSeq: 1, clientTimeMs: Date.now() + aheadMs, readings: [{ beaconId: 'k000', rssiDbm: -65 }], gps: undefined };
    return new Promise((resolve) => client.reportFix(fix, md, (err, ack) => resolve(err ? { err } : { ack: ack! })));
  };

  it('refuses a fix 60 s ahead by default (30 s) and serves it with the limit at 120 s', async () => {
    const byDefault = await fixAhead({}, 60_000);
    assert.equal(byDefault.err?.code, status.INVALID_ARGUMENT, JSON.stringify(byDefault));
    const widened = await fixAhead({ 'hunt.maxClockAheadMs': 120_000 }, 60_000);
    assert.equal(widened.ack?.accepted, true, JSON.stringify(widened));
  });
});
