/** Graceful-leave timing for `bench ops`: two real cluster nodes in this process, the leave driven through Admin. */
import { defineKind } from '../../actors/runtime/index.js';
import { adminClient } from '../../ops/admin/client.js';
import { startTestNode, type TestNode } from '../../testing/node.js';

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

/** A whole node (`startNode`) hosting the counter kind instead of the hunt. */
const start = (id: string, seeds: string[]): Promise<TestNode<undefined>> => startTestNode(`bench-leave-${id}`, { 'ops.operatorToken': TOKEN, 'node.id': id, 'node.seeds': seeds }, { kinds: [counter] });

export async function measureLeave(actors: number): Promise<{ msPer10k: number; moved: number; elapsedMs: number; ratePerSec: number }> {
  const nodes: TestNode<undefined>[] = [];
  try {
    const a = await start('L1', []);
    nodes.push(a);
    nodes.push(await start('L2', [a.node.gossipAddress]));
    const deadline = Date.now() + JOIN_TIMEOUT_MS;
    while (a.node.cluster.router.liveIds.size < 2 || nodes[1]!.node.cluster.router.liveIds.size < 2) {
      if (Date.now() > deadline) throw new Error(`cluster did not converge within ${JOIN_TIMEOUT_MS} ms (L1 sees ${a.node.cluster.router.liveIds.size}, L2 sees ${nodes[1]!.node.cluster.router.liveIds.size})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Keys L1 owns, activated there.
    let i = 0;
    const pending: Promise<unknown>[] = [];
    while (a.node.cluster.host.activeActorCount < actors && i < actors * 4) {
      const key = `c${i++}`;
      if (a.node.cluster.router.ownerOf('counter', key) !== 'L1') continue;
      pending.push(a.node.cluster.router.ask(a.node.cluster.router.ref(counter, key), { add: 1 }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const moved = a.node.cluster.host.activeActorCount;
    const admin = adminClient(a.node.grpcAddress, TOKEN);
    try {
      const start = performance.now();
      let last = { moved: 0, remaining: moved, done: false };
      await admin.leave((p) => (last = p));
      const elapsedMs = Math.round(performance.now() - start);
      if (!last.done) throw new Error(`leave ended without done (last progress ${JSON.stringify(last)})`);
      return { msPer10k: Math.round((elapsedMs * 10_000) / moved), moved, elapsedMs, ratePerSec: a.node.cluster.router.options.handoffActorsPerSec };
    } finally {
      admin.close();
    }
  } finally {
    // After the operator's leave, stop() of L1 only closes what is still open.
    for (const n of nodes) await n.stop();
  }
}
