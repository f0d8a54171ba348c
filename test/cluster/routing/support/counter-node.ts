/**
 * One Quarry node for routing tests and the cluster benchmark, as a child process: LMDB store, `ActorHost` (routed through the router),
 * membership over UDP, grpc-js transport and `ClusterRouter`, hosting the `counter` kind.
 *
 * Address exchange: a node prints `{"event":"listening","id","gossip","grpc"}` on stdout; the parent passes every
 * node's grpc address with a `peers` command (the lead will carry it in membership metadata later).
 * Control: one JSON command per stdin line `{"seq":n,"cmd":...}`, one JSON answer per stdout line `{"seq":n,...}`.
 */
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { openLmdbStore } from '../../../../actors/store/lmdb-store.js';
import { localDefaults } from '../../../../cluster/membership/config.js';
import { realClock } from '../../../../cluster/membership/clock.js';
import { Membership } from '../../../../cluster/membership/membership.js';
import { UdpTransport } from '../../../../cluster/membership/udp_transport.js';
import { ActorHost } from '../../../../actors/runtime/port.js';
import { membershipSource } from '../../../../cluster/routing/members.js';
import { ReplicatingStore } from '../../../../cluster/routing/replicating-store.js';
import { ClusterRouter } from '../../../../cluster/routing/router.js';
import { GrpcTransport } from '../../../../cluster/transport/grpc.js';
import { counterKind, type CounterMsg } from './counter-kind.js';
import { sequenceKind } from './sequence-kind.js';
import { runLoad, type LoadSpec } from './load.js';

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

const store = new ReplicatingStore(openLmdbStore({ path: values.data! }));
const counter = counterKind(id);
const passivationIdleMs = Number(values['passivation-ms']);
const host = new ActorHost({ store, kinds: [counter, sequenceKind], logger, passivationIdleMs, passivationTickMs: Math.min(1_000, passivationIdleMs) });
const gossip = new (await import('./filtered-gossip.js')).FilteredGossip(await UdpTransport.bind('127.0.0.1', 0));
const membership = new Membership({ id, clusterKey: values.key!, config: localDefaults(), transport: gossip, clock: realClock() });
const transport = new GrpcTransport({ nodeId: id, clusterKey: values.key!, reconnectBaseMs: 50, reconnectMaxMs: 500, logger });
const server = new grpc.Server();
transport.addToServer(server);
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
);
const peers = new Map<string, string>();
const router = new ClusterRouter({
  nodeId: id,
  host,
  store,
  transport,
  members: membershipSource(membership),
  resolvePeerAddress: (peer) => peers.get(peer),
  kinds: [counter, sequenceKind],
  durability: values.durability as 'local' | 'replicated',
  replicationFactor: Number(values.rf),
  handoffActorsPerSec: Number(values['handoff-rate']),
  logger,
});
membership.start();
if (values.seed.length > 0) await membership.join(values.seed);
out({ event: 'listening', id, gossip: gossip.address, grpc: `127.0.0.1:${grpcPort}` });

type Command = { seq: number; cmd: string; [k: string]: unknown };
const ref = (key: string) => router.ref(counter, key);

async function handle(c: Command): Promise<object> {
  switch (c.cmd) {
    case 'peers':
      for (const [peer, addr] of Object.entries(c.peers as Record<string, string>)) peers.set(peer, addr);
      router.start();
      router.peersChanged();
      return {};
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
      for (const m of membership.members()) if (ids.includes(m.id)) gossip.blocked.add(m.addr);
      return {};
    }
    case 'unblock': {
      const ids = c.ids as string[];
      transport.faults.unblock(ids);
      for (const m of membership.members()) if (ids.includes(m.id)) gossip.blocked.delete(m.addr);
      return {};
    }
    case 'heal':
      transport.faults.heal();
      gossip.blocked.clear();
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
      await router.leave();
      // Asks this process is still waiting on (routed to other owners) settle before the links close.
      while (asksInFlight > 1) await new Promise((r) => setTimeout(r, 10));
      await membership.leave();
      await shutdown();
      return {};
    case 'stop':
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
  await router.close();
  await membership.stop();
  await host.close();
  await transport.close();
  server.forceShutdown();
  await store.close();
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
