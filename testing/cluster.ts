/**
 * Real multi-node clusters for tests and benchmarks: `quarry node start` child processes gossiping over UDP, on
 * loopback by default or wherever `settingsFor` and `command` put them (testing/netns/cluster.ts: each in its own
 * network namespace). Each node's stdout (pino JSON lines) is parsed into its view of the membership.
 *
 * Usage:
 *   const cluster = await startCluster(5);          // resolves once all 5 see all 5 alive
 *   await cluster.kill(cluster.nodes[2]!);           // SIGKILL, no goodbye
 *   await cluster.waitFor('detect', () => cluster.live().every((n) => n.view.get('n2') === 'dead'), 20_000, ...);
 *   await cluster.stop();                            // in after(): kills what is left, removes temp dirs
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor as waitUntil } from './wait.js';

/** How long a node process may take to print its gossip address, in ms. @default 15000 */
export const DEFAULT_NODE_START_TIMEOUT_MS = 15_000;
/** How long `startCluster` waits for every node to see every other alive, in ms. @default 20000 */
export const DEFAULT_CONVERGE_TIMEOUT_MS = 20_000;

const QUARRY_JS = fileURLToPath(new URL('../scripts/quarry.js', import.meta.url));
export const TEST_CLUSTER_KEY = 'test-cluster-key-0123456789abcdef';

export interface ClusterOptions {
  /** @default 'local' */
  preset?: 'lan' | 'local';
  /** @default TEST_CLUSTER_KEY */
  clusterKey?: string;
  /** Node ids are `${idPrefix}${i}`. @default 'n' */
  idPrefix?: string;
  /** Extra `--set key=value` pairs for every node. */
  settings?: Record<string, string>;
  convergeTimeoutMs?: number;
  /** Per-node `--set` pairs over the defaults and `settings` (a node's own host and fixed ports). */
  settingsFor?: (id: string) => Record<string, string>;
  /** The command line that runs `argv` (node and its arguments) for node `id`, e.g. inside a namespace. @default argv */
  command?: (id: string, argv: string[]) => string[];
}

export interface NodeProcess {
  readonly id: string;
  readonly child: ChildProcess;
  gossipAddress: string;
  /** member id -> latest state this node logged for it. */
  readonly view: Map<string, string>;
  /** Every parsed stdout line. */
  readonly lines: Array<Record<string, unknown>>;
  /** Undefined while running. */
  exitCode: number | null | undefined;
  /** stderr, for failure messages. */
  stderr: string;
}

export interface Cluster {
  readonly nodes: NodeProcess[];
  live(): NodeProcess[];
  /** Starts one more node (same options unless overridden); resolves when it printed its gossip address. */
  spawn(id: string, overrides?: { clusterKey?: string; join?: string[] }): Promise<NodeProcess>;
  kill(node: NodeProcess): Promise<void>;
  /** SIGTERM: the node announces `left`, then exits. */
  leave(node: NodeProcess): Promise<void>;
  /** Resolves when `done()` holds after some node logged a line; rejects after `timeoutMs` with `describe()`. */
  waitFor(phase: string, done: () => boolean, timeoutMs: number, describe: () => string): Promise<void>;
  /** True when every live node sees exactly the live nodes alive. */
  converged(): boolean;
  stop(): Promise<void>;
}

export class ClusterWaitError extends Error {
  override readonly name = 'ClusterWaitError';
}

export async function startCluster(n: number, options: ClusterOptions = {}): Promise<Cluster> {
  const dataRoot = mkdtempSync(join(tmpdir(), 'quarry-cluster-'));
  const nodes: NodeProcess[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };

  // Checked again on every line a node logs and on every exit, not polled.
  const waitFor: Cluster['waitFor'] = async (phase, done, timeoutMs, describe) => {
    await waitUntil(done, {
      phase,
      expected: 'the condition',
      seen: describe,
      timeoutMs,
      changes: (recheck) => {
        waiters.add(recheck);
        return () => waiters.delete(recheck);
      },
    });
  };

  const spawnNode: Cluster['spawn'] = async (id, overrides = {}) => {
    const settings: Record<string, string> = {
      'node.id': id,
      'node.gossipPort': '0',
      'node.grpcPort': '0',
      'node.httpPort': '0',
      'node.dataDir': join(dataRoot, id),
      'cluster.membershipPreset': options.preset ?? 'local',
      ...options.settings,
      ...options.settingsFor?.(id),
    };
    const args = [QUARRY_JS, 'node', 'start', ...Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
    for (const seed of overrides.join ?? []) args.push('--join', seed);
    const [cmd, ...argv] = options.command?.(id, [process.execPath, ...args]) ?? [process.execPath, ...args];
    const child = spawn(cmd!, argv, {
      env: { ...process.env, QUARRY_CLUSTER_KEY: overrides.clusterKey ?? options.clusterKey ?? TEST_CLUSTER_KEY, QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node: NodeProcess = { id, child, gossipAddress: '', view: new Map(), lines: [], exitCode: undefined, stderr: '' };
    nodes.push(node);
    child.stderr!.on('data', (d: Buffer) => void (node.stderr += d.toString()));
    child.on('exit', (code) => {
      node.exitCode = code;
      notify();
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      node.lines.push(line);
      if (line.event === 'listening') node.gossipAddress = String(line.gossipAddress);
      if (line.event === 'member') node.view.set(String(line.member), String(line.state));
      notify();
    });
    await waitFor(`start ${id}`, () => node.gossipAddress !== '' || node.exitCode !== undefined, DEFAULT_NODE_START_TIMEOUT_MS, () => `stderr: ${node.stderr}`);
    if (!node.gossipAddress) throw new ClusterWaitError(`start ${id}: exited with ${node.exitCode} before listening; stderr: ${node.stderr}`);
    return node;
  };

  const live = (): NodeProcess[] => nodes.filter((x) => x.exitCode === undefined);
  const converged = (): boolean => {
    const ids = live().map((x) => x.id).sort().join(',');
    return live().every((x) => [...x.view].filter(([, s]) => s === 'alive').map(([id]) => id).sort().join(',') === ids);
  };
  const exited = (node: NodeProcess): Promise<void> =>
    node.exitCode !== undefined ? Promise.resolve() : new Promise((resolve) => node.child.once('exit', () => resolve()));

  const cluster: Cluster = {
    nodes,
    live,
    spawn: spawnNode,
    async kill(node) {
      const done = exited(node);
      node.child.kill('SIGKILL');
      await done;
    },
    async leave(node) {
      const done = exited(node);
      node.child.kill('SIGTERM');
      await done;
    },
    waitFor,
    converged,
    async stop() {
      await Promise.all(live().map((x) => cluster.kill(x)));
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };

  try {
    const prefix = options.idPrefix ?? 'n';
    const first = await spawnNode(`${prefix}0`);
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => spawnNode(`${prefix}${i + 1}`, { join: [first.gossipAddress] })));
    await waitFor('converge', converged, options.convergeTimeoutMs ?? DEFAULT_CONVERGE_TIMEOUT_MS, () =>
      live()
        .map((x) => `${x.id} sees alive [${[...x.view].filter(([, s]) => s === 'alive').map(([id]) => id).join(',')}]`)
        .join('; '),
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
