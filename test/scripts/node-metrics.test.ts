/**
 * `GET /metrics.json` of a real node (node/start-node.ts in this process: LMDB in a temp dir, the sample hunt): the
 * operator credential is required, and the store's commit latency is there both as figures and as a histogram that a
 * reader can difference between two readings.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import type { QuarryNode } from '../../node/index.js';
import { startRealNode } from '../gateway/support-real-node.js';

interface Metrics {
  storeCommits: number;
  storeCommitP50Ms: number;
  storeCommitP99Ms: number;
  storeCommitMaxMs: number;
  storeCommitLatencyUs: string;
}

describe('node/start-node GET /metrics.json', function () {
  this.timeout(30_000);
  let node: QuarryNode;
  let dataDir: string;

  before(async () => {
    ({ node, dataDir } = await startRealNode('node-metrics', 'node-metrics-token-secret-0123456789abcdef'));
  });
  after(async () => {
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (authorization?: string) => fetch(`${node.httpUrl}/metrics.json`, { headers: authorization ? { authorization } : {} });
  const metrics = async () => (await (await get(`Bearer ${node.config.ops.operatorToken}`)).json()) as Metrics;

  /** Walks `playerId` to the sample hunt's first beacon: the visit it earns is committed. */
  async function visit(playerId: string): Promise<void> {
    const beacon = node.game.hunt.beacons[0]!;
    for (let seq = 1; seq <= 4; seq++) {
      await node.game.reportFix(playerId, { clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: beacon.id, rssiDbm: beacon.txPowerDbm - 3 }] });
    }
  }

  it('answers 401 without the operator credential, and does not show the token', async () => {
    const res = await get();
    assert.equal(res.status, 401);
    assert.doesNotMatch(await res.text(), new RegExp(node.config.ops.operatorToken));
    assert.equal((await get('Bearer not-the-operator-token')).status, 401);
  });

  it("counts the store's commits with their latency, and two readings difference to the commits between them", async () => {
    await visit('metrics-a');
    const before = await metrics();
    assert.ok(before.storeCommits > 0, `commits after a visit: ${before.storeCommits}`);
    assert.ok(before.storeCommitP50Ms > 0 && before.storeCommitP50Ms <= before.storeCommitP99Ms && before.storeCommitP99Ms <= before.storeCommitMaxMs, JSON.stringify(before));
    assert.equal(decodeFromCompressedBase64(before.storeCommitLatencyUs).totalCount, before.storeCommits);

    await visit('metrics-b');
    const after = await metrics();
    assert.ok(after.storeCommits > before.storeCommits);
    const window = decodeFromCompressedBase64(after.storeCommitLatencyUs);
    window.subtract(decodeFromCompressedBase64(before.storeCommitLatencyUs));
    assert.equal(window.totalCount, after.storeCommits - before.storeCommits);
  });
});
