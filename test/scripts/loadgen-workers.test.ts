/**
 * `runLoad` (scripts/loadgen/run.ts) against a real node process: players spread over two load worker processes,
 * one measured window driven by the parent, the workers' counters, histograms and ledgers merged into one report.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { defaultWorkerCount, FIXES_PER_SEC_PER_WORKER, runLoad } from '../../scripts/loadgen/run.js';
import { channelGroup } from '../../scripts/loadgen/worker.js';
import { spawnNode, type LocalNode } from '../../scripts/sim/local-cluster.js';

describe('scripts/loadgen defaultWorkerCount', () => {
  it(`is one worker per ${FIXES_PER_SEC_PER_WORKER} fixes/s, at least 1`, () => {
    assert.equal(FIXES_PER_SEC_PER_WORKER, 600);
    assert.equal(defaultWorkerCount(20_000, 10_000), 4, 'the headline: 2,000 fixes/s');
    assert.equal(defaultWorkerCount(20_000, 2_500), 14);
    assert.equal(defaultWorkerCount(6_000, 10_000), 1);
    assert.equal(defaultWorkerCount(6_001, 10_000), 2);
    assert.equal(defaultWorkerCount(1, 60_000), 1);
  });
});

describe('scripts/loadgen runLoad with worker processes (real node)', function () {
  this.timeout(60_000);
  const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
  let dir: string;
  let node: LocalNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-loadgen-'));
    node = await spawnNode({
      env,
      settings: { 'node.id': 'lg1', 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, 'node.dataDir': join(dir, 'lg1'), 'ops.logLevel': 'warn' },
    });
  });

  after(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads players over 2 workers, merges what they measured, and loses no acked fix', async () => {
    const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
    const report = await runLoad({
      targets: [{ grpc: node.ready.grpcAddress, http: node.ready.httpUrl }],
      beacons: loadHuntFile(config.hunt.file).beacons,
      players: 60,
      fixIntervalMs: 500,
      durationS: 3,
      rampUpS: 1,
      tokenSecret: config.gateway.tokenSecret,
      operatorToken: config.ops.operatorToken,
      playerPrefix: 'lg-',
      seed: 3,
      workers: 2,
      cpuPids: { nodes: [node.process.pid!] },
      progress: false,
    });
    const summary = JSON.stringify(report);
    assert.equal(report.workers, 2, summary);
    assert.ok(report.fixesAcked > 0, `no fix acked: ${summary}`);
    assert.equal(report.lostAckedFixes, 0, summary);
    assert.equal(report.unverifiedPlayers, 0, summary);
    assert.deepEqual(report.fixesFailedByStatus, {}, summary);
    // The histograms came from the workers: the parent sends no fix itself.
    assert.notEqual(report.ackP99Ms, undefined, summary);
    assert.ok(report.fixToEventSamples > 0, `no award event matched to its fix: ${summary}`);
    // The notification part of a fix-to-event latency cannot exceed the whole.
    assert.ok(report.commitToEventP50Ms !== undefined && report.commitToEventP50Ms <= report.fixToEventMaxMs!, summary);
    assert.equal(report.cpuCores.nodes.length, 1, summary);
    assert.equal(report.runQueueWaitPct.nodes.length, 1, summary);
    assert.notEqual(report.runQueueWaitPct.nodes[0], null, summary);
    assert.ok(report.cpuCores.load > 0, `load workers used no CPU: ${summary}`);
  });

  it('refuses more workers than players, naming the setting', async () => {
    const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
    const options = { targets: [{ grpc: node.ready.grpcAddress }], beacons: [], players: 2, fixIntervalMs: 500, durationS: 1, rampUpS: 0, tokenSecret: config.gateway.tokenSecret, playerPrefix: 'x-', seed: 1, workers: 3, progress: false };
    await assert.rejects(runLoad(options), /workers must be an integer from 1 to players \(2\), got 3/);
  });
});

describe('scripts/loadgen channelGroup', () => {
  it('puts playersPerChannel of each node\'s own players on one connection to it', () => {
    // 3 targets, 100 players per connection: players 0..299 (100 per node) share group 0, 300..599 group 1.
    const groups = Array.from({ length: 900 }, (_, k) => channelGroup(k, 100, 3));
    for (let t = 0; t < 3; t++) {
      const perGroup = new Map<number, number>();
      groups.forEach((g, k) => k % 3 === t && perGroup.set(g, (perGroup.get(g) ?? 0) + 1));
      assert.deepEqual([...perGroup], [[0, 100], [1, 100], [2, 100]], `target ${t}`);
    }
  });
});
