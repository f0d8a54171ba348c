/**
 * One Quarry node for routing tests and the cluster benchmark, as a child process: a whole node from `startNode`
 * (the composition root `quarry node start` uses), hosting the `counter` and `sequence` test kinds instead of the
 * hunt. The only test parts are what a test needs to cut the network: gossip through `FilteredGossip` and the
 * links' fault hooks, both given through `startNode`'s `transport`, and faster link redials.
 *
 * A node prints `{"event":"listening","id","gossip","grpc"}` on stdout once started (peers learn its gRPC address
 * from its gossip metadata). Control: one JSON command per stdin line `{"seq":n,"cmd":...}`, one JSON answer per
 * stdout line `{"seq":n,...}`.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { UdpTransport } from '../../cluster/membership/udp_transport.js';
import { GrpcTransport } from '../../cluster/transport/grpc.js';
import { startNode } from '../../node/index.js';
import { testNodeConfig } from '../node.js';
import { counterKind, type CounterMsg } from './counter-kind.js';
import { FilteredGossip } from './filtered-gossip.js';
import { sequenceKind } from './sequence-kind.js';
import { runLoad, type LoadSpec } from './load.js';

/** First and longest redial delay of a node link, in ms: a healed partition reconnects within the test's patience. */
const LINK_RECONNECT_BASE_MS = 50;
const LINK_RECONNECT_MAX_MS = 500;

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    data: { type: 'string' },
    seed: { type: 'string', multiple: true, default: [] },
    key: { type: 'string' },
    durability: { type: 'string', default: 'replicated' },
    rf: { type: 'string', default: '2' },
    'handoff-rate': { type: 'string', default: '20000' },
    'passivation-ms': { type: 'string', default: '120000' },
  },
});
const id = values.id!;
const out = (obj: object) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const logger = {
  error: (o: object, m?: string) => process.stderr.write(`${JSON.stringify({ level: 'error', ...o, msg: m }, errReplacer)}\n`),
  warn: (o: object, m?: string) => process.stderr.write(`${JSON.stringify({ level: 'warn', ...o, msg: m }, errReplacer)}\n`),
  info: () => undefined,
  debug: () => undefined,
};

const passivationIdleMs = Number(values['passivation-ms']);
const config = testNodeConfig(values.data!, {
  'node.id': id,
  'node.seeds': values.seed,
  'cluster.key': values.key!,
  'cluster.durability': values.durability!,
  'cluster.replicationFactor': Number(values.rf),
  'cluster.handoffActorsPerSec': Number(values['handoff-rate']),
  'runtime.passivationIdleMs': passivationIdleMs,
  'runtime.passivationTickMs': Math.min(1_000, passivationIdleMs),
});
const counter = counterKind(id);
let gossip: FilteredGossip | undefined;
const node = await startNode({
  config,
  logger,
  kinds: [counter, sequenceKind],
  transport: {
    gossip: async (host, port) => (gossip = new FilteredGossip(await UdpTransport.bind(host, port))),
    links: (options) => new GrpcTransport({ ...options, reconnectBaseMs: LINK_RECONNECT_BASE_MS, reconnectMaxMs: LINK_RECONNECT_MAX_MS }),
  },
});
const { router, host, links: transport } = node.cluster;
const membership = node.cluster.membership!;
out({ event: 'listening', id, gossip: node.gossipAddress, grpc: node.grpcAddress });

type Command = { seq: number; cmd: string; [k: string]: unknown };
const ref = (key: string) => router.ref(counter, key);

async function handle(c: Command): Promise<object> {
  switch (c.cmd) {
    case 'ask': {
      try {
        const msg = (c.delayMs === undefined ? { op: c.op } : { op: c.op, delayMs: c.delayMs }) as CounterMsg;
        const reply = await router.ask(ref(String(c.key)), msg, { timeoutMs: Number(c.timeoutMs ?? 5000) });
        return { ok: true, ...reply };
      } catch (err) {
        return { ok: false, name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message };
      }
    }
    case 'sequence': {
      // Numbered tells from this node to one `sequence` actor: `perTick` every `tickMs`, `count` in all.
      const target = router.ref(sequenceKind, String(c.key));
      const count = Number(c.count);
      const perTick = Number(c.perTick);
      let sent = 0;
      let refused = 0;
      for (let n = 1; n <= count; n++) {
        try {
          router.tell(target, { op: 'next', from: id, n });
          sent++;
        } catch {
          refused++;
        }
        if (n % perTick === 0) await new Promise((r) => setTimeout(r, Number(c.tickMs)));
      }
      return { sent, refused };
    }
    case 'sequenceGet':
      try {
        return { ok: true, ...(await router.ask(router.ref(sequenceKind, String(c.key)), { op: 'get' }, { timeoutMs: 5000 })) };
      } catch (err) {
        return { ok: false, name: (err as Error).name, message: (err as Error).message };
      }
    case 'status':
      return { live: [...router.liveIds].sort(), serving: router.serving, ring: router.ring.checksum, members: router.ring.members, active: host.activeActorCount, covered: router.claims.covered, claimsStarted: router.claims.claimsStarted };
    case 'owner':
      return { owner: router.ownerOf('counter', String(c.key)) };
    case 'block': {
      const ids = c.ids as string[];
      transport.faults.block(ids);
      for (const m of membership.members()) if (ids.includes(m.id)) gossip!.blocked.add(m.addr);
      return {};
    }
    case 'unblock': {
      const ids = c.ids as string[];
      transport.faults.unblock(ids);
      for (const m of membership.members()) if (ids.includes(m.id)) gossip!.blocked.delete(m.addr);
      return {};
    }
    case 'heal':
      transport.faults.heal();
      gossip!.blocked.clear();
      return {};
    case 'touch': {
      // Gets every key (concurrency 64); for timing a handoff from the new owner's side.
      const keys = c.keys as string[];
      const start = performance.now();
      let errors = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < keys.length) {
            const key = keys[next++]!;
            for (let attempt = 0; ; attempt++) {
              try {
                await router.ask(ref(key), { op: 'get' }, { timeoutMs: 10_000 });
                break;
              } catch {
                errors++;
                if (attempt > 50) break;
                await new Promise((r) => setTimeout(r, 20));
              }
            }
          }
        }),
      );
      return { ms: performance.now() - start, errors };
    }
    case 'load':
      return runLoad(router, ref, c as unknown as LoadSpec);
    case 'leave':
      // As a load balancer drains a node: the parent sends nothing more through it, and the asks it already took
      // settle before the node stops (a graceful stop hands every actor off and leaves, as `quarry node leave` does).
      while (asksInFlight > 1) await new Promise((r) => setTimeout(r, 10));
      await shutdown();
      return {};
    default:
      return { error: `unknown command ${c.cmd}` };
  }
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await node.stop();
  } catch (err) {
    logger.error({ event: 'leave-failed', err }, 'leave failed');
  }
  setImmediate(() => process.exit(0));
}

let asksInFlight = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  asksInFlight++;
  handle(c).finally(() => asksInFlight--).then(
    (res) => out({ seq: c.seq, ...res }),
    (err: unknown) => out({ seq: c.seq, error: String(err) }),
  );
});
process.stdin.on('end', () => void shutdown());

function errReplacer(_k: string, v: unknown): unknown {
  return v instanceof Error ? { name: v.name, message: v.message } : v;
}
