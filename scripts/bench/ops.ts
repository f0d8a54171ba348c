/**
 * `quarry bench ops`: operator tooling.
 * - inspectorP99Ms: p99 of the inspector's cluster-wide actor search (HTTP `/inspector/api/search`, which asks this
 *   node's Admin service, which fans out to its peer over gRPC) with 100k active actors spread over two nodes in this
 *   process (each its own LMDB, ActorHost, gateway server, Admin service and inspector), random key prefixes.
 * - leaveMsPer10kActors: a graceful leave through the Admin service (operatorTools + clusterPart over two real cluster
 *   nodes in this process: replicating LMDB stores, routers, gRPC links, UDP membership) of the node hosting 10k active
 *   actors, from the Leave call to its `done` progress (hand-off is rate-limited by cluster.handoffActorsPerSec).
 * - tracingOverheadPct.0 / .10 / .100: node CPU per fix with tracing on at 0 / 10 / 100 % sampling against tracing off,
 *   on four real node processes under the same player load (ops-tracing.ts says how).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { ActorHost, defineKind, memoryLogger } from '../../actors/runtime/index.js';
import { openLmdbStore } from '../../actors/store/index.js';
import { buildRing } from '../../cluster/placement/ring.js';
import { startGatewayServer, type GatewayServer } from '../../gateway/server.js';
import { nodeTarget } from '../../ops/admin/node-target.js';
import { adminService } from '../../ops/admin/service.js';
import type { AdminTarget, TargetMember } from '../../ops/admin/target.js';
import { createInspectorHandler } from '../../ops/inspector/handler.js';
import { ProcessSampler } from '../../ops/process-metrics.js';
import type { BenchOptions, BenchResult } from './harness.js';
import { measureLeave } from './ops-leave.js';
import { measureTracingOverhead } from './ops-tracing.js';

const ACTORS = 100_000;
const NODES = 2;
const WARMUP = 20;
const SEARCHES = 300;
const TOKEN = 'bench-ops-operator-token-0123456789';

const player = defineKind<{ n: number }, { add: number }, number>({
  name: 'player',
  initialState: () => ({ n: 0 }),
  handle: (msg, ctx) => ctx.state.n + msg.add,
});

interface BenchNode {
  id: string;
  host: ActorHost;
  edge: GatewayServer;
  grpcAddress: string;
  httpUrl: string;
  close(): Promise<void>;
}

async function startNode(id: string, members: () => TargetMember[]): Promise<BenchNode> {
  const dir = mkdtempSync(join(tmpdir(), `quarry-bench-ops-${id}-`));
  const store = openLmdbStore({ path: dir, mapSizeMb: 256, auditRetentionDays: 1 });
  const host = new ActorHost({ store, logger: memoryLogger(), kinds: [player], passivationIdleMs: 3_600_000, mailboxCapacity: 1024 });
  const sampler = new ProcessSampler();
  let target: AdminTarget | undefined;
  const lazy = new Proxy({} as AdminTarget, { get: (_o, p) => (target as never)[p] });
  const admin = adminService({ target: lazy, operatorToken: TOKEN });
  let inspector: ReturnType<typeof createInspectorHandler> | undefined;
  const edge = await startGatewayServer({
    host: '127.0.0.1', grpcPort: 0, httpPort: 0, services: [admin], maxMessageBytes: 4 * 1024 * 1024, corsOrigins: [],
    httpFallback: (req, res) => void (inspector?.(req, res) || res.writeHead(404).end()),
  });
  const grpcAddress = `127.0.0.1:${edge.grpcPort}`;
  const unsupported = async () => {
    throw new Error('static bench membership');
  };
  target = nodeTarget({ nodeId: id, adminAddress: grpcAddress, host, store, sampler, cluster: { members, ring: () => buildRing(members().map((m) => m.id)), drainPlan: () => ({ actorsByKind: {}, bytes: 0 }), leave: unsupported, join: unsupported } });
  inspector = createInspectorHandler(target, TOKEN);
  return {
    id, host, edge, grpcAddress, httpUrl: `http://127.0.0.1:${edge.httpPort}`,
    async close() {
      inspector!.close();
      admin.close();
      await edge.close();
      await host.close();
      sampler.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const nodes: BenchNode[] = [];
  const members = (): TargetMember[] => nodes.map((n) => ({ id: n.id, address: n.grpcAddress, adminAddress: n.grpcAddress, state: 'alive', incarnation: 1 }));
  try {
    for (let i = 0; i < NODES; i++) nodes.push(await startNode(`n${i + 1}`, members));
    for (let i = 0; i < ACTORS; i++) {
      const n = nodes[i % NODES]!;
      n.host.tell(n.host.ref(player, `p${i}`), { add: 1 });
      if (i % 5000 === 4999) await n.host.flush();
    }
    for (const n of nodes) await n.host.flush();
    const active = nodes.reduce((a, n) => a + n.host.activeActorCount, 0);
    if (active !== ACTORS) notes.push(`expected ${ACTORS} active actors, found ${active}`);

    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < WARMUP + SEARCHES; i++) {
      const prefix = `p${Math.floor(Math.random() * 1000)}`;
      const start = performance.now();
      const res = await fetch(`${nodes[0]!.httpUrl}/inspector/api/search?kind=player&prefix=${prefix}&limit=100`, { headers });
      const body = (await res.json()) as { actors: unknown[]; unreachable: string[] };
      const us = Math.round((performance.now() - start) * 1000);
      if (res.status !== 200 || body.unreachable.length > 0) throw new Error(`search ${prefix}: status ${res.status}, unreachable ${JSON.stringify(body.unreachable)}`);
      if (i >= WARMUP) h.recordValue(us);
    }
    const p99 = Math.round(h.getValueAtPercentile(99) / 10) / 100;
    notes.push(`inspectorP99Ms: ${SEARCHES} cluster-wide searches (HTTP -> Admin -> peer fan-out), ${ACTORS} active actors over ${NODES} in-process nodes with static membership; p50 ${Math.round(h.getValueAtPercentile(50) / 10) / 100} ms`);
    const figures: Record<string, number> = { inspectorP99Ms: p99 };
    for (const n of nodes.splice(0)) await n.close();
    try {
      const leave = await measureLeave(10_000);
      figures.leaveMsPer10kActors = leave.msPer10k;
      notes.push(`leaveMsPer10kActors: ${leave.moved} actors handed off in ${leave.elapsedMs} ms (2 in-process cluster nodes, handoffActorsPerSec ${leave.ratePerSec})`);
    } catch (err) {
      notes.push(`leaveMsPer10kActors: not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const tracing = await measureTracingOverhead();
      Object.assign(figures, tracing.figures);
      notes.push(...tracing.notes);
    } catch (err) {
      notes.push(`tracingOverheadPct.*: not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { figures, notes };
  } finally {
    for (const n of nodes) await n.close();
  }
}
