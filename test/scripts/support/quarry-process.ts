/**
 * `quarry node start` as a child process, for tests of what an operator sees: its parsed stdout lines (pino JSON and
 * the `ready` line), its stderr, its exit code; and `quarry <command>` runs of the CLI. Unlike `startCluster`
 * (test/cluster/support/cluster.ts) it does not assume the node becomes ready: refusing to is what some tests check.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const QUARRY_JS = fileURLToPath(new URL('../../../scripts/quarry.js', import.meta.url));
export const SAMPLE_HUNT = fileURLToPath(new URL('../../../../actors/hunt/samples/city-hunt.json', import.meta.url));
export const OPERATOR_TOKEN = 'safety-test-operator-token-0123';

export type Line = Record<string, unknown>;

export interface QuarryProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly lines: Line[];
  stderr: string;
  /** Undefined while running. */
  exitCode: number | null | undefined;
  /** Resolves with the first line `match` accepts (seen before or after the call); rejects after `timeoutMs`, naming `phase`. */
  waitLine(phase: string, match: (l: Line) => boolean, timeoutMs?: number): Promise<Line>;
  /** Resolves with the exit code; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>;
  /** The `ready` line's addresses (waits for it). */
  ready(timeoutMs?: number): Promise<{ grpcAddress: string; httpUrl: string; gossipAddress: string }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts one node with free ports, the sample hunt, development secrets and the test operator token. */
export function startQuarry(id: string, settings: Record<string, string | number>, env: Record<string, string> = {}, join: string[] = []): QuarryProcess {
  const all: Record<string, string | number> = {
    'node.id': id,
    'node.grpcPort': 0,
    'node.httpPort': 0,
    'node.gossipPort': 0,
    'hunt.file': SAMPLE_HUNT,
    'cluster.membershipPreset': 'local',
    ...settings,
  };
  const args = [QUARRY_JS, 'node', 'start', ...Object.entries(all).flatMap(([k, v]) => ['--set', `${k}=${v}`]), ...join.flatMap((s) => ['--join', s])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, QUARRY_OPS_ALLOW_DEV_SECRETS: 'true', QUARRY_OPS_OPERATOR_TOKEN: OPERATOR_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const p: QuarryProcess = {
    id,
    child,
    lines: [],
    stderr: '',
    exitCode: undefined,
    waitLine(phase, match, timeoutMs = 30_000) {
      return new Promise<Line>((resolve, reject) => {
        const check = () => {
          const found = p.lines.find(match);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (p.exitCode !== undefined) {
            done();
            reject(new Error(`${phase}: node ${id} exited with ${p.exitCode} first; last lines: ${JSON.stringify(p.lines.slice(-5))}; stderr: ${p.stderr.slice(-1000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${phase}: no such line from node ${id} within ${timeoutMs} ms; last lines: ${JSON.stringify(p.lines.slice(-5))}; stderr: ${p.stderr.slice(-1000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    exited(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        if (p.exitCode !== undefined) return resolve(p.exitCode);
        const timer = setTimeout(() => reject(new Error(`node ${id} still running after ${timeoutMs} ms; last lines: ${JSON.stringify(p.lines.slice(-5))}`)), timeoutMs);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
    async ready(timeoutMs) {
      const l = await p.waitLine(`ready ${id}`, (x) => x.event === 'ready', timeoutMs);
      return { grpcAddress: String(l.grpcAddress), httpUrl: String(l.httpUrl), gossipAddress: String(l.gossipAddress) };
    },
    kill(signal = 'SIGKILL') {
      if (p.exitCode === undefined) child.kill(signal);
    },
  };
  child.stderr!.on('data', (d: Buffer) => {
    if (p.stderr.length < 100_000) p.stderr += d.toString();
  });
  child.on('exit', (code) => {
    p.exitCode = code;
    notify();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      p.lines.push(JSON.parse(text) as Line);
    } catch {
      return;
    }
    notify();
  });
  return p;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `quarry ...` with the test operator token in the environment. */
export function quarryCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [QUARRY_JS, ...args], { env: { ...process.env, QUARRY_OPS_OPERATOR_TOKEN: OPERATOR_TOKEN }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** GET on a node's HTTP port: status and body. */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

export interface NodeSandbox {
  /** A fresh temp folder for the current test (`each`) or suite (`all`). */
  readonly dir: string;
  /** `startQuarry`, killed (SIGCONT first, in case a test froze it) after the test or suite. */
  start(...args: Parameters<typeof startQuarry>): QuarryProcess;
}

/** Registers mocha hooks that give each test (or the suite) a temp folder and kill the nodes it started. */
export function nodeSandbox(prefix: string, scope: 'each' | 'all'): NodeSandbox {
  let dir = '';
  const started: QuarryProcess[] = [];
  (scope === 'each' ? beforeEach : before)(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  (scope === 'each' ? afterEach : after)(async () => {
    for (const p of started.splice(0)) {
      if (p.exitCode === undefined) p.child.kill('SIGCONT');
      p.kill();
      await p.exited();
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    start(...args) {
      const p = startQuarry(...args);
      started.push(p);
      return p;
    },
  };
}
