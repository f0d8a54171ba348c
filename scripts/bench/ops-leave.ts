/** Graceful-leave timing for `bench ops`: two real cluster nodes in this process, the leave driven through Admin. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineKind, memoryLogger, systemClock } from '../../actors/runtime/index.js';
import { createClusterNode, type ClusterNode } from '../../cluster/node.js';
import { startGatewayServer, type GatewayServer } from '../../gateway/server.js';
import { adminClient } from '../../ops/admin/client.js';
import { clusterPart } from '../../ops/admin/cluster-part.js';
import { operatorTools, type OperatorTools } from '../../ops/admin/operator-tools.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { ProcessSampler } from '../../ops/process-metrics.js';

const TOKEN = 'bench-ops-leave-operator-token-0123456789';
const JOIN_TIMEOUT_MS = 20_000;

const counter = defineKind<{ n: number }, { add: number }, number, { add: number }>({
  name: 'counter',
  initialState: () => ({ n: 0 }),
  apply: (s, e) => ({ n: s.n + e.add }),
  handle(msg, ctx) {
    ctx.persist({ add: msg.add });
    return ctx.state.n;
  },
});

interface LeaveNode {
  cluster: ClusterNode;
  edge: GatewayServer;
  ops: OperatorTools;
  sampler: ProcessSampler;
  grpcAddress: string;
  gossipAddress: string;
  dir: string;
  left: boolean;
}

async function start(id: string, seeds: string[]): Promise<LeaveNode> {
  const dir = mkdtempSync(join(tmpdir(), `quarry-bench-leave-${id}-`));
  const config = nodeConfig(loadConfig({ flags: { 'ops.allowDevSecrets': true, 'ops.operatorToken': TOKEN, 'node.id': id, 'node.host': '127.0.0.1', 'node.dataDir': dir, 'node.gossipPort': 0, 'node.grpcPort': 0, 'node.httpPort': 0, 'cluster.membershipPreset': 'local' } }));
  const cluster = createClusterNode({ config, logger: memoryLogger(), kinds: [counter], clock: systemClock() });
  const sampler = new ProcessSampler();
  const ops = operatorTools({ nodeId: id, host: cluster.host, store: cluster.store, sampler, operatorToken: TOKEN,
    cluster: clusterPart({ nodeId: id, host: cluster.host, membership: { members: () => cluster.members(), join: (s) => cluster.membership!.join(s) },
      router: { leave: () => cluster.leave(), dryRun: (c, a) => cluster.router.dryRun(c, a) } }) });
  const edge = await startGatewayServer({
    host: '127.0.0.1', grpcPort: 0, httpPort: 0, maxMessageBytes: config.gateway.maxMessageBytes, corsOrigins: [], services: [ops.service],
    beforeBind: (server) => cluster.addToServer(server),
    httpFallback: (req, res) => void (ops.inspector(req, res) || res.writeHead(404).end()),
  });
  const grpcAddress = `127.0.0.1:${edge.grpcPort}`;
  ops.listening(grpcAddress);
  const gossipAddress = await cluster.join(grpcAddress, seeds);
  return { cluster, edge, ops, sampler, grpcAddress, gossipAddress, dir, left: false };
}

async function stop(n: LeaveNode): Promise<void> {
  n.ops.close();
  if (!n.left) await n.cluster.leave();
  await n.edge.close();
  n.sampler.stop();
  await n.cluster.close();
  rmSync(n.dir, { recursive: true, force: true });
}

export async function measureLeave(actors: number): Promise<{ msPer10k: number; moved: number; elapsedMs: number; ratePerSec: number }> {
  const nodes: LeaveNode[] = [];
  try {
    const a = await start('L1', []);
    nodes.push(a);
    nodes.push(await start('L2', [a.gossipAddress]));
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    while (a.cluster.router.liveIds.size < 2 || nodes[1]!.cluster.router.liveIds.size < 2) {
      if (Date.now() > deadline) throw new Error(`cluster did not converge within ${JOIN_TIMEOUT_MS} ms (L1 sees ${a.cluster.router.liveIds.size}, L2 sees ${nodes[1]!.cluster.router.liveIds.size})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Keys L1 owns, activated there.
    let i = 0;
    const pending: Promise<unknown>[] = [];
    while (a.cluster.host.activeActorCount < actors && i < actors * 4) {
      const key = `c${i++}`;
      if (a.cluster.router.ownerOf('counter', key) !== 'L1') continue;
      pending.push(a.cluster.router.ask(a.cluster.router.ref(counter, key), { add: 1 }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const moved = a.cluster.host.activeActorCount;
    const admin = adminClient(a.grpcAddress, TOKEN);
    try {
      const start = performance.now();
      let last = { moved: 0, remaining: moved, done: false };
      await admin.leave((p) => (last = p));
      const elapsedMs = Math.round(performance.now() - start);
      a.left = true;
      if (!last.done) throw new Error(`leave ended without done (last progress ${JSON.stringify(last)})`);
      return { msPer10k: Math.round((elapsedMs * 10_000) / moved), moved, elapsedMs, ratePerSec: a.cluster.router.options.handoffActorsPerSec };
    } finally {
      admin.close();
    }
  } finally {
    for (const n of nodes) await stop(n);
  }
}
