/**
 * A Quarry cluster on a real (virtual) network: N `quarry node start` processes, each in its own network namespace
 * with its own address on the test's bridge (testing/netns/network.ts), `nats-server -js` in another, and a
 * namespace for the clients. Nodes are started by the shared process harness (testing/cluster.ts), so membership has
 * converged when `startNetnsCluster` resolves; `stop()` kills every process and deletes every namespace.
 *
 *   const c = await startNetnsCluster({ nodes: 3, tag: 't1' });
 *   const nemesis = new Nemesis(c);                 // testing/netns/nemesis.ts
 *   ...
 *   await c.stop();                                 // in after(): also runs on exit and on SIGINT/SIGTERM
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterWaitError, startCluster, type Cluster, type NodeProcess } from '../cluster.js';
import { TestNetwork, type NetHost } from './network.js';

/** Ports are the same on every host: each host is its own namespace. */
export const NODE_PORTS = { grpc: 7100, http: 8080, gossip: 7946 } as const;
export const NATS_PORT = 4222;
/** Last octet of the first node's address; node i (0-based) is at `FIRST_NODE_OCTET + i`. */
const FIRST_NODE_OCTET = 11;
/** How long nats-server may take to say it is ready, in ms. @default 10000 */
const NATS_READY_TIMEOUT_MS = 10_000;
/** How long a node restarted by `restart` may take to see every live member alive again, in ms. @default 30000 */
export const DEFAULT_RECONVERGE_TIMEOUT_MS = 30_000;

export interface NetnsClusterOptions {
  nodes: number;
  /** Keeps the namespace names of two clusters of one process apart. */
  tag: string;
  /** Extra `--set` pairs for every node (over replicated durability, NATS and the membership preset). */
  settings?: Record<string, string>;
}

export interface NetnsCluster {
  readonly network: TestNetwork;
  readonly cluster: Cluster;
  /** Node id -> its host (namespace and address). Ids are `n0` .. `n<N-1>`, as testing/cluster.ts names them. */
  readonly hosts: ReadonlyMap<string, NetHost>;
  readonly clients: NetHost;
  readonly natsUrl: string;
  /** Node ids in order. */
  readonly ids: readonly string[];
  /** host:port of each node's native gRPC listener, in `ids` order. */
  grpcTarget(id: string): string;
  /** The running process of node `id` (the latest, after a restart). */
  node(id: string): NodeProcess;
  /** Starts node `id` again on its data dir and address (after `kill9`); resolves once every live node sees all alive. */
  restart(id: string): Promise<void>;
  /** Resolves once every live node sees exactly the live nodes alive (after a heal). */
  converged(phase: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startNetnsCluster(options: NetnsClusterOptions): Promise<NetnsCluster> {
  const network = new TestNetwork(options.tag);
  const dir = mkdtempSync(join(tmpdir(), 'quarry-netns-'));
  // Also when the run is interrupted: the network's exit and signal handlers destroy it.
  network.onDestroy(() => rmSync(dir, { recursive: true, force: true }));
  let nats: ChildProcess | undefined;
  let cluster: Cluster | undefined;
  const stop = async () => {
    await cluster?.stop();
    nats?.kill('SIGKILL');
    network.destroy();
  };
  try {
    const natsHost = network.addHost('nats', 2);
    const clients = network.addHost('clients', 3);
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i}`);
    const hosts = new Map(ids.map((id, i) => [id, network.addHost(id, FIRST_NODE_OCTET + i)] as const));
    nats = await startNats(network, natsHost, join(dir, 'nats'));
    const natsUrl = `nats://${natsHost.address}:${NATS_PORT}`;
    cluster = await startCluster(options.nodes, {
      idPrefix: 'n',
      preset: 'local',
      settings: {
        'cluster.durability': 'replicated',
        'cluster.replicationFactor': '2',
        'notify.backend': 'nats',
        'notify.natsUrl': natsUrl,
        ...options.settings,
      },
      settingsFor: (id) => ({
        'node.host': hosts.get(id)!.address,
        'node.grpcPort': String(NODE_PORTS.grpc),
        'node.httpPort': String(NODE_PORTS.http),
        'node.gossipPort': String(NODE_PORTS.gossip),
      }),
      command: (id, argv) => network.exec(hosts.get(id)!, argv),
    });
    const c = cluster;
    const node = (id: string): NodeProcess => {
      const all = c.nodes.filter((n) => n.id === id);
      if (all.length === 0) throw new RangeError(`no node ${id} (nodes: ${ids.join(', ')})`);
      return all[all.length - 1]!;
    };
    const converged = (phase: string, timeoutMs = DEFAULT_RECONVERGE_TIMEOUT_MS) =>
      c.waitFor(phase, () => c.converged(), timeoutMs, () => c.live().map((x) => `${x.id} sees alive [${[...x.view].filter(([, s]) => s === 'alive').map(([m]) => m).join(',')}]`).join('; '));
    return {
      network,
      cluster: c,
      hosts,
      clients,
      natsUrl,
      ids,
      grpcTarget: (id) => `${hosts.get(id)!.address}:${NODE_PORTS.grpc}`,
      node,
      async restart(id) {
        if (node(id).exitCode === undefined) throw new Error(`restart ${id}: it is still running (kill9 it first)`);
        const seeds = c.live().map((x) => x.gossipAddress);
        await c.spawn(id, { join: seeds });
        await converged(`restart ${id}`);
      },
      converged,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `nats-server -js` inside `host`'s namespace; resolves once it logged that it is ready. */
function startNats(network: TestNetwork, host: NetHost, storeDir: string): Promise<ChildProcess> {
  const [cmd, ...args] = network.exec(host, ['nats-server', '-js', '-a', host.address, '-p', String(NATS_PORT), '-sd', storeDir]);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ClusterWaitError(`nats: not ready within ${NATS_READY_TIMEOUT_MS} ms; stderr: ${stderr.slice(-1000)}`));
    }, NATS_READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ClusterWaitError(`nats: exited with ${code} before ready; stderr: ${stderr.slice(-1000)}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!stderr.includes('Server is ready')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stderr!.removeAllListeners('data');
      child.stderr!.resume();
      resolve(child);
    });
  });
}
