/**
 * Real multi-process clusters of `counter-node.js` (each a whole node from `startNode`) for routing tests and the
 * cluster benchmark.
 * `startRoutingCluster(n)` resolves once every node sees every node live with the same ring; `kill` is SIGKILL,
 * `leave` is graceful; `stop()` kills what is left and removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { waitFor } from '../wait.js';

const NODE_JS = fileURLToPath(new URL('./counter-node.js', import.meta.url));
/** Pause between two status polls of the node processes, in ms. @default 100 */
const STATUS_POLL_MS = 100;
export const ROUTING_TEST_KEY = 'routing-test-cluster-key-0123456789';

export interface RoutingNode {
  readonly id: string;
  readonly child: ChildProcess;
  gossip: string;
  grpc: string;
  exited: boolean;
  /** Set before a graceful leave, so clients stop entering through it (as a load balancer drains a node). */
  leaving: boolean;
  stderr: string;
}

export interface AskResult {
  ok: boolean;
  count?: number;
  activation?: string;
  node?: string;
  sessionIncs?: number;
  name?: string;
  code?: string;
  message?: string;
}

export interface Status {
  live: string[];
  serving: boolean;
  ring: string;
  members: string[];
  active: number;
  /** Ring coverage of the current epoch completed (cluster/routing/coverage.ts). */
  covered: boolean;
  /** Per-actor claims begun since the node started. */
  claimsStarted: number;
}

export interface RoutingClusterOptions {
  durability?: 'local' | 'replicated';
  replicationFactor?: number;
  handoffActorsPerSec?: number;
  /** Idle time after which a node passivates an actor (snapshot, out of memory), in ms. @default 120000 */
  passivationIdleMs?: number;
}

export class RoutingCluster {
  readonly nodes: RoutingNode[] = [];
  private readonly pending = new Map<number, { node: RoutingNode; resolve: (v: any) => void }>();
  private seq = 0;
  private readonly dataRoot = mkdtempSync(join(tmpdir(), 'quarry-routing-'));

  constructor(private readonly options: RoutingClusterOptions = {}) {}

  live(): RoutingNode[] {
    return this.nodes.filter((n) => !n.exited);
  }

  /** Nodes clients may enter through: running and not leaving. */
  entryNodes(): RoutingNode[] {
    return this.nodes.filter((n) => !n.exited && !n.leaving);
  }

  node(id: string): RoutingNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Spawns a node joining through the first live node's gossip address; members learn its gRPC address by gossip. */
  async spawn(id: string): Promise<RoutingNode> {
    const seeds = this.live().map((n) => n.gossip);
    const args = [NODE_JS, '--id', id, '--data', join(this.dataRoot, id), '--key', ROUTING_TEST_KEY, '--durability', this.options.durability ?? 'replicated', '--rf', String(this.options.replicationFactor ?? 2), '--handoff-rate', String(this.options.handoffActorsPerSec ?? 20_000), '--passivation-ms', String(this.options.passivationIdleMs ?? 120_000)];
    for (const s of seeds.slice(0, 1)) args.push('--seed', s);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const node: RoutingNode = { id, child, gossip: '', grpc: '', exited: false, leaving: false, stderr: '' };
    this.nodes.push(node);
    child.stderr!.on('data', (d: Buffer) => {
      if (node.stderr.length < 200_000) node.stderr += d.toString();
    });
    const listening = new Promise<void>((resolve, reject) => {
      child.on('exit', (code) => {
        node.exited = true;
        for (const [seq, p] of this.pending) {
          if (p.node !== node) continue;
          this.pending.delete(seq);
          p.resolve({ exited: true });
        }
        reject(new Error(`node ${id} exited with ${code} before listening; stderr: ${node.stderr.slice(-2000)}`));
      });
      createInterface({ input: child.stdout! }).on('line', (text) => {
        const line = JSON.parse(text) as Record<string, any>;
        if (line.event === 'listening') {
          node.gossip = line.gossip;
          node.grpc = line.grpc;
          resolve();
        } else if (typeof line.seq === 'number') {
          const r = this.pending.get(line.seq);
          this.pending.delete(line.seq);
          r?.resolve(line);
        }
      });
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      await listening;
    } finally {
      clearTimeout(timer);
    }
    child.stdin!.on('error', () => undefined);
    return node;
  }

  /** Sends one command; resolves with the node's answer (or `{ exited: true }` if it dies first). */
  command<T = any>(node: RoutingNode, cmd: Record<string, unknown>): Promise<T> {
    if (node.exited) return Promise.resolve({ exited: true } as T);
    const seq = ++this.seq;
    return new Promise<T>((resolve) => {
      this.pending.set(seq, { node, resolve });
      node.child.stdin!.write(`${JSON.stringify({ seq, ...cmd })}\n`);
    });
  }

  ask(node: RoutingNode, key: string, op: 'inc' | 'get', timeoutMs = 5000, delayMs?: number): Promise<AskResult> {
    return this.command<AskResult>(node, { cmd: 'ask', key, op, timeoutMs, delayMs });
  }

  status(node: RoutingNode): Promise<Status> {
    return this.command<Status>(node, { cmd: 'status' });
  }

  /** Polls until every live node reports exactly `ids` live and serving with one ring. */
  async waitRing(phase: string, ids: string[], timeoutMs = 30_000): Promise<void> {
    const want = [...ids].sort().join(',');
    let seen: Status[] = [];
    await waitFor(
      async () => {
        seen = await Promise.all(this.live().map((n) => this.status(n)));
        return seen.every((s) => s.members.join(',') === want && s.serving) && new Set(seen.map((s) => s.ring)).size === 1;
      },
      { phase, expected: `every live node serving with one ring of [${want}]`, seen: () => seen.map((s) => ({ members: s.members, serving: s.serving })), timeoutMs, pollMs: STATUS_POLL_MS },
    );
  }

  /** Polls `status` until `done` holds for `node`. */
  async waitStatus(phase: string, node: RoutingNode, done: (s: Status) => boolean, timeoutMs = 30_000): Promise<Status> {
    let s: Status | undefined;
    return waitFor(
      async () => {
        s = await this.status(node);
        return done(s) && s;
      },
      { phase, expected: `node ${node.id} in the expected status`, seen: () => s, timeoutMs, pollMs: STATUS_POLL_MS },
    );
  }

  kill(node: RoutingNode): Promise<void> {
    if (node.exited) return Promise.resolve();
    return new Promise((resolve) => {
      node.child.once('exit', () => resolve());
      node.child.kill('SIGKILL');
    });
  }

  async leave(node: RoutingNode): Promise<void> {
    node.leaving = true;
    const exited = new Promise<void>((resolve) => (node.exited ? resolve() : node.child.once('exit', () => resolve())));
    await this.command(node, { cmd: 'leave' });
    await exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.live().map((n) => this.kill(n)));
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}

export async function startRoutingCluster(ids: string[], options: RoutingClusterOptions = {}): Promise<RoutingCluster> {
  const cluster = new RoutingCluster(options);
  try {
    for (const id of ids) await cluster.spawn(id);
    await cluster.waitRing('start', ids);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
