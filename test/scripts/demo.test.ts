/**
 * `quarry demo` as a real process (issue 19, item 9): its ports come from --base-port, several nodes get a
 * nats-server of the demo's own on a free port (not 4222), the inspector URL is printed, a restart on the same data
 * continues the simulated players' fix sequence (no fix refused as stale), a port in use and a bad --nodes exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoPorts, demoProgressLine } from '../../scripts/commands/demo.js';
import { QUARRY_JS, runQuarry, STACK_LINE } from '../support/cli.js';
import { freePortRange } from '../../testing/ports.js';

interface DemoRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  waitFor(what: string, check: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Ctrl-C, then the exit code. */
  interrupt(): Promise<number | null>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [QUARRY_JS, 'demo', ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(what, check, timeoutMs = 40_000) {
      const until = Date.now() + timeoutMs;
      while (!check(out)) {
        if (child.exitCode !== null) assert.fail(`${what}: the demo exited with ${child.exitCode}; stdout: ${out}\nstderr: ${err.slice(-3000)}`);
        if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms; stdout: ${out}\nstderr: ${err.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async interrupt() {
      child.kill('SIGINT');
      return exited;
    },
  };
}

const stoppedLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as { demo: string; fixesAcked: number; fixesNotAccepted: number };

describe('quarry demo', function () {
  this.timeout(180_000);
  let dir: string;
  const running: DemoRun[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-demo-'));
  });
  afterEach(async () => {
    for (const d of running.splice(0)) if (d.child.exitCode === null) await d.interrupt();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('demoPorts: a port set by the user is node 1\'s, else --base-port lays out 3 per node, else the defaults', () => {
    const loaded = (sources: Record<string, string>, values: Record<string, number> = {}) => ({
      values: { 'node.grpcPort': 7100, 'node.httpPort': 8080, 'node.gossipPort': 7946, ...values },
      sources: { 'node.grpcPort': 'default', 'node.httpPort': 'default', 'node.gossipPort': 'default', ...sources } as never,
    });
    assert.deepEqual(demoPorts(loaded({}), 1, undefined), { 'node.grpcPort': 7101, 'node.httpPort': 8081, 'node.gossipPort': 7947 });
    assert.deepEqual(demoPorts(loaded({}), 2, 20_000), { 'node.grpcPort': 20_006, 'node.httpPort': 20_007, 'node.gossipPort': 20_008 });
    assert.deepEqual(demoPorts(loaded({ 'node.httpPort': 'flag' }, { 'node.httpPort': 9090 }), 1, 20_000), { 'node.grpcPort': 20_003, 'node.httpPort': 9091, 'node.gossipPort': 20_005 });
    assert.deepEqual(demoPorts(loaded({ 'node.grpcPort': 'flag' }, { 'node.grpcPort': 0 }), 3, undefined), { 'node.grpcPort': 0, 'node.httpPort': 8083, 'node.gossipPort': 7949 });
  });

  it('demoProgressLine says how long the demo runs and what the players saw, with no total', () => {
    assert.equal(
      demoProgressLine(125, 40, { fixesSent: 2_400, fixesAcked: 2_390, eventsReceived: 512, eventGaps: 0, fixToEventP99Ms: 12.34 }),
      'demo up 2m05s · 40 players · fixes 2400 sent, 2390 acked · events 512 (gaps 0) · fix→event p99 12.3 ms',
    );
    assert.equal(demoProgressLine(3_725, 1, { fixesSent: 0, fixesAcked: 0, eventsReceived: 0, eventGaps: 0 }), 'demo up 1h02m · 1 players · fixes 0 sent, 0 acked · events 0 (gaps 0) · fix→event p99 -');
  });

  it('2 nodes on --base-port with their own nats-server; a restart continues the players\' fix sequence', async () => {
    const base = await freePortRange(6);
    const args = ['--nodes', '2', '--players', '4', '--fix-interval-ms', '100', '--data-dir', join(dir, 'data'), '--base-port', String(base)];
    const first = startDemo(args);
    running.push(first);
    await first.waitFor('the demo prints its URLs', (out) => out.includes('simulated players are walking'));
    const out = first.stdout();
    assert.match(out, new RegExp(`node-1: gRPC 127\\.0\\.0\\.1:${base}  HTTP http://127\\.0\\.0\\.1:${base + 1}  gossip 127\\.0\\.0\\.1:${base + 2}`));
    assert.match(out, new RegExp(`node-2: gRPC 127\\.0\\.0\\.1:${base + 3}  HTTP http://127\\.0\\.0\\.1:${base + 4}  gossip 127\\.0\\.0\\.1:${base + 5}`));
    assert.match(out, new RegExp(`Actor inspector: http://127\\.0\\.0\\.1:${base + 1}/inspector  \\(operator token: \\S+\\)`));
    const nats = /NATS JetStream: nats:\/\/127\.0\.0\.1:(\d+) \(the demo's own nats-server/.exec(out);
    assert.ok(nats, `no NATS line in: ${out}`);
    assert.notEqual(Number(nats[1]), 4222);
    // Let the players get well into their sequences (ramp-up is 5 s), then stop.
    await new Promise((r) => setTimeout(r, 7_000));
    assert.equal(await first.interrupt(), 0, first.stderr().slice(-2000));
    const before = stoppedLine(first.stdout());
    assert.ok(before.fixesAcked > 20, JSON.stringify(before));

    const second = startDemo(args);
    running.push(second);
    await second.waitFor('the restarted demo prints its URLs', (o) => o.includes('simulated players are walking'));
    await new Promise((r) => setTimeout(r, 7_000));
    assert.equal(await second.interrupt(), 0, second.stderr().slice(-2000));
    const after = stoppedLine(second.stdout());
    assert.ok(after.fixesAcked > 20, JSON.stringify(after));
    assert.equal(after.fixesNotAccepted, 0, `fixes refused as stale after the restart: ${JSON.stringify(after)}`);
  });

  it('a port in use and a bad --nodes exit 2 without a stack trace', async () => {
    const base = await freePortRange(3);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(base + 1, '127.0.0.1', r));
    try {
      const r = await runQuarry(['demo', '--players', '1', '--data-dir', join(dir, 'busy'), '--base-port', String(base)], {}, 60_000);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`config node\\.httpPort: TCP port 127\\.0\\.0\\.1:${base + 1} is already in use`));
      assert.doesNotMatch(r.stderr, STACK_LINE);
    } finally {
      holder.close();
    }
    const bad = await runQuarry(['demo', '--nodes', '0']);
    assert.equal(bad.code, 2);
    assert.doesNotMatch(bad.stderr, STACK_LINE);
  });
});
