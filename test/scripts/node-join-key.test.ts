import assert from 'node:assert/strict';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { HuntClient } from '../../proto/gen/hunt.js';
import { freePort } from '../../testing/nats.js';
import { httpGet, nodeSandbox } from './support/quarry-process.js';

const SEED_KEY = 'join-test-seed-cluster-key-0001';
const WRONG_KEY = 'join-test-WRONG-cluster-key-002';
const JOIN_TIMEOUT_MS = 8_000;

describe('a node told to join with the wrong cluster.key never serves on its own (issue 19, item 1)', function () {
  this.timeout(60_000);
  const box = nodeSandbox('quarry-join-', 'all');

  it('not ready (/readyz 503, players UNAVAILABLE, no ready line) while it retries, exits 4 after cluster.joinTimeoutMs; the seed logs the refused packets with the sender', async () => {
    const seed = box.start('seed', { 'node.dataDir': join(box.dir, 'seed') }, { QUARRY_CLUSTER_KEY: SEED_KEY });
    const seedReady = await seed.ready();
    const joiner = box.start('stray', { 'node.dataDir': join(box.dir, 'stray'), 'cluster.joinTimeoutMs': JOIN_TIMEOUT_MS }, { QUARRY_CLUSTER_KEY: WRONG_KEY }, [seedReady.gossipAddress]);
    const listening = await joiner.waitLine('joiner listening', (l) => l.event === 'listening');
    const failed = await joiner.waitLine('joiner says why', (l) => l.event === 'join-failed');
    assert.match(String(failed.msg), /cluster\.key/, 'the joiner names the likely cause');

    // Still trying: its HTTP port answers, but it is not ready and refuses players.
    const httpLine = await joiner.waitLine('joiner http port', (l) => l.event === 'gateway-listening');
    const readyz = await httpGet(`${httpLine.httpUrl}/readyz`);
    assert.equal(readyz.status, 503, readyz.body);
    assert.deepEqual(JSON.parse(readyz.body).failing.includes('joined'), true, readyz.body);
    assert.equal((await httpGet(`${httpLine.httpUrl}/livez`)).status, 200);
    const config = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'pat', ttlMinutes: 5 });
    const client = new HuntClient(String(httpLine.grpcAddress), credentials.createInsecure());
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    const err = await new Promise<ServiceError | undefined>((resolve) =>
      client.reportFix({ playerId: 'pat', clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, md, (e) => resolve(e ?? undefined)),
    );
    client.close();
    assert.equal(err?.code, status.UNAVAILABLE, `a player's fix: ${err?.code} ${err?.details}`);
    assert.match(err!.details, /not joined/);

    const refused = await seed.waitLine('seed logs refused packets', (l) => l.event === 'gossip-refused');
    assert.equal(refused.from, listening.gossipAddress, 'the seed names the sender');
    assert.ok(!JSON.stringify(seed.lines).includes(WRONG_KEY) && !JSON.stringify(joiner.lines).includes(WRONG_KEY), 'no key in any log');

    assert.equal(await joiner.exited(JOIN_TIMEOUT_MS + 15_000), 4, `joiner's exit code; stderr: ${joiner.stderr.slice(-500)}`);
    assert.ok(joiner.lines.some((l) => l.event === 'join-timeout'), 'the joiner logs why it gives up');
    assert.ok(!joiner.lines.some((l) => l.event === 'ready'), 'never ready');
    // Rate-limited: a few seconds of retries are one line on the seed, not one per packet.
    assert.equal(seed.lines.filter((l) => l.event === 'gossip-refused' && l.from === listening.gossipAddress).length, 1);
  });

  it('a seed list naming the node itself (one list for every node) leaves the others: alone, it starts a new cluster', async () => {
    const port = await freePort();
    const self = box.start('self', { 'node.dataDir': join(box.dir, 'self'), 'node.gossipPort': port }, {}, [`127.0.0.1:${port}`]);
    const r = await self.ready();
    assert.equal((await httpGet(`${r.httpUrl}/readyz`)).status, 200);
  });
});
