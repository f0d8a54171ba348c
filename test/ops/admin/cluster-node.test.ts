/**
 * The operator tools wired onto a real cluster node (cluster/node.ts: replicating LMDB store, ActorHost routed through the router,
 * UDP membership) exactly as scripts/node-process.ts is to mount them (see the lines marked WIRING), then driven
 * through the Admin service: status with gossip address and incarnation, drain plan, and a graceful leave.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger, systemClock } from '../../../actors/runtime/index.js';
import { HuntGame, huntKinds, loadHuntFile } from '../../../actors/hunt/index.js';
import { createClusterNode, type ClusterNode } from '../../../cluster/node.js';
import { startGatewayServer, type GatewayServer } from '../../../gateway/server.js';
import { adminClient, type Admin } from '../../../ops/admin/client.js';
import { clusterPart } from '../../../ops/admin/cluster-part.js';
import { operatorTools, type OperatorTools } from '../../../ops/admin/operator-tools.js';
import { loadConfig, nodeConfig } from '../../../ops/config/index.js';
import { ProcessSampler } from '../../../ops/process-metrics.js';
import { OPERATOR_TOKEN, SAMPLE_HUNT_FILE } from './support/admin-node.js';

describe('operator tools on a real cluster node (router + membership)', function () {
  this.timeout(60_000);
  let dir: string;
  let cluster: ClusterNode;
  let edge: GatewayServer | undefined;
  let ops: OperatorTools | undefined;
  let sampler: ProcessSampler;
  let game: HuntGame;
  let admin: Admin;
  let left = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-admin-cluster-'));
    const config = nodeConfig(loadConfig({ flags: { 'ops.allowDevSecrets': true, 'ops.operatorToken': OPERATOR_TOKEN, 'node.id': 'c1', 'node.host': '127.0.0.1', 'node.dataDir': dir, 'node.gossipPort': 0, 'node.grpcPort': 0, 'node.httpPort': 0, 'hunt.file': SAMPLE_HUNT_FILE, 'cluster.membershipPreset': 'local' } }));
    const hunt = loadHuntFile(config.hunt.file);
    const kinds = huntKinds(hunt, { sessionTtlMinutes: config.hunt.sessionTtlMinutes, leaderboardStalenessMs: config.hunt.leaderboardStalenessMs });
    const clock = systemClock();
    cluster = createClusterNode({ config, logger: memoryLogger(), kinds: kinds.all, clock });
    game = new HuntGame(kinds, { system: cluster.router, clock, audit: cluster.store });
    sampler = new ProcessSampler();
    // WIRING (node-process.ts): after `const sampler = new ProcessSampler();`
    ops = operatorTools({ nodeId: config.node.id, host: cluster.host, store: cluster.store, sampler, operatorToken: config.ops.operatorToken,
      cluster: clusterPart({ nodeId: config.node.id, host: cluster.host, membership: { members: () => cluster.members(), join: (seeds) => cluster.membership!.join(seeds) },
        router: { leave: () => cluster.leave(), dryRun: (change, actors) => cluster.router.dryRun(change, actors) } }) });
    edge = await startGatewayServer({
      host: config.node.host, grpcPort: 0, httpPort: 0, maxMessageBytes: config.gateway.maxMessageBytes, corsOrigins: [],
      services: [ops.service], // WIRING: `..., ops.service` appended to the services list
      beforeBind: (server) => cluster.addToServer(server),
      httpFallback: (req, res) => {
        if (ops!.inspector(req, res)) return; // WIRING: first line after `if (web(req, res)) return;`
        res.writeHead(404).end();
      },
    });
    const grpcAddress = `${config.node.host}:${edge.grpcPort}`;
    ops.listening(grpcAddress); // WIRING: after `const grpcAddress = ...`
    await cluster.join(grpcAddress);
    admin = adminClient(grpcAddress, OPERATOR_TOKEN);
    const beacon = hunt.beacons[0]!.id;
    for (const p of ['alice', 'bob', 'carol']) await game.reportFix(p, { clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: beacon, rssiDbm: -55 }] });
  });
  after(async () => {
    admin?.close();
    ops?.close(); // WIRING: first line of stop()
    game?.close();
    if (!left) await cluster?.leave();
    await edge?.close();
    sampler?.stop();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Status shows this member with its gossip address, incarnation, whole ring and active actors', async () => {
    const s = await admin.status();
    assert.equal(s.members.length, 1);
    const m = s.members[0]!;
    assert.equal(m.id, 'c1');
    assert.equal(m.state, 'alive');
    assert.match(m.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(m.adminAddress, `127.0.0.1:${edge!.grpcPort}`);
    assert.equal(m.ringShare, 1);
    assert.equal(m.activeActorsByKind.player, 3);
  });

  it('DrainPlan of the last member: every active actor would move out', async () => {
    const plan = await admin.drainPlan();
    assert.equal(plan.actorsByKind.player, 3);
  });

  it('Leave hands every actor off and streams progress to done', async () => {
    const seen: { moved: number; remaining: number; done: boolean }[] = [];
    await admin.leave((p) => seen.push(p));
    left = true;
    assert.ok(seen.length >= 2, `progress updates: ${JSON.stringify(seen)}`);
    assert.equal(seen[0]!.done, false);
    assert.deepEqual(seen.at(-1), { moved: seen[0]!.moved + seen[0]!.remaining, remaining: 0, done: true });
  });
});
