import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What a node prints (as one JSON log line, `event: "ready"`) once it accepts players. */
export interface NodeReady {
  nodeId: string;
  grpcAddress: string;
  httpUrl: string;
  gossipAddress: string;
}

export interface LocalNode {
  readonly ready: NodeReady;
  readonly process: ChildProcess;
  /** Graceful: SIGTERM, then waits for exit (the node leaves the cluster and snapshots its actors). */
  stop(): Promise<void>;
  /** SIGKILL: no goodbye, no final snapshot. */
  kill(): Promise<void>;
}

/** A node process that exited before it printed `ready`; `exitCode` 2 is a usage or config error (its stderr says which). */
export class NodeExitedError extends Error {
  override readonly name = 'NodeExitedError';
  constructor(readonly nodeId: string, readonly exitCode: number | null, readonly stderr: string) {
    super(`node ${nodeId} exited with ${exitCode} before ready; stderr: ${stderr.slice(-2000)}`);
  }
}

export interface SpawnNodeOptions {
  /** `--set` pairs for the node (id, ports, data dir, ...). */
  settings: Record<string, string | number | boolean>;
  /** `--config FILE` for the node, under the settings. */
  configFile?: string;
  /** Extra environment, e.g. secrets. */
  env?: Record<string, string>;
  /** Forward the node's log lines to this function (the demo prints a few; benchmarks drop them). */
  onLog?: (line: string) => void;
  /** Give up waiting for `ready` after this long. @default 30000 ms */
  readyTimeoutMs?: number;
  /** Extra arguments for node itself, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
}

const QUARRY_JS = fileURLToPath(new URL('../quarry.js', import.meta.url));
/** Set to a folder to keep every spawned node's log there, one `<node.id>.log` each (a benchmark drops them otherwise). */
export const NODE_LOG_DIR_ENV = 'QUARRY_NODE_LOG_DIR';

/** Starts `quarry node start` as a child process and resolves when it logs `ready`. */
export function spawnNode(options: SpawnNodeOptions): Promise<LocalNode> {
  const args = [...(options.nodeArgs ?? []), QUARRY_JS, 'node', 'start', ...(options.configFile ? ['--config', options.configFile] : [])];
  for (const [k, v] of Object.entries(options.settings)) args.push('--set', `${k}=${v}`);
  const child = spawn(process.execPath, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logDir = process.env[NODE_LOG_DIR_ENV];
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    const file = join(logDir, `${String(options.settings['node.id'] ?? child.pid)}.log`);
    const keep = (d: Buffer) => appendFileSync(file, d);
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  return new Promise<LocalNode>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${options.settings['node.id']}: no "ready" line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onLog?.(d.toString().trimEnd());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new NodeExitedError(String(options.settings['node.id']), code, stderr));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      options.onLog?.(line);
      let parsed: { event?: string } & Partial<NodeReady>;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (parsed.event !== 'ready') return;
      clearTimeout(timer);
      const ready = { nodeId: parsed.nodeId!, grpcAddress: parsed.grpcAddress!, httpUrl: parsed.httpUrl!, gossipAddress: parsed.gossipAddress! };
      resolve({
        ready,
        process: child,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
        async kill() {
          if (child.exitCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}
