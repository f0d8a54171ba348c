/**
 * The README's "Running a cluster by hand" block, run as written (issue 19, item 10) on ports of its own: nats-server
 * with JetStream, three `quarry node start` processes sharing notify.backend=nats and cluster.durability=replicated,
 * then `cluster status` and `token issue`. It checks that the three members are alive, that the notifier made its
 * stream in that NATS, and that a player token made by hand as the README's "Player tokens" says (HS256 over the
 * UTF-8 bytes of gateway.tokenSecret; sub, iat, exp; `authorization: Bearer`) is accepted by a node.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { HuntClient, type FixAck } from '../../proto/gen/hunt.js';
import { QUARRY_JS } from '../support/cli.js';
import { freePortRange } from '../../testing/ports.js';

/** The ports the README's block uses, in the order they are remapped onto a free range. */
const README_PORTS = [4222, 7100, 7101, 7102, 8080, 8081, 8082, 7946, 7947, 7948];

function bash(script: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env, timeout: timeoutMs }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

describe("README: running a cluster by hand (the README's own commands, on real processes)", function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const pids: number[] = [];
  let rest: string[] = [];
  let port: (readmePort: number) => number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-readme-'));
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Running a cluster by hand'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    const base = await freePortRange(README_PORTS.length);
    port = (p) => base + README_PORTS.indexOf(p);
    const lines = block
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('npm '))
      .map((l) =>
        l
          .replace(new RegExp(`\\b(${README_PORTS.join('|')})\\b`, 'g'), (p) => String(port(Number(p))))
          .replace(/\.\/data/g, `${dir}/data`)
          .replace(/node dist\/scripts\/quarry\.js/g, `"${process.execPath}" "${QUARRY_JS}"`),
      );
    const lastBackground = lines.map((l) => l.trimEnd().endsWith('&')).lastIndexOf(true);
    assert.ok(lastBackground > 0, `the block starts processes in the background: ${block}`);
    // The start: exports and background processes (their output to files, their pids printed), then the environment.
    const start = lines.slice(0, lastBackground + 1).map((l, i) => (l.trimEnd().endsWith('&') ? `${l.trimEnd().slice(0, -1)} > ${dir}/bg${i}.log 2>&1 & echo "bg $!"` : l));
    rest = lines.slice(lastBackground + 1);
    // n1 runs on the default ports in the README: here they come from the environment (n2 and n3 set theirs).
    const defaults = { QUARRY_NODE_GRPC_PORT: String(port(7100)), QUARRY_NODE_HTTP_PORT: String(port(8080)), QUARRY_NODE_GOSSIP_PORT: String(port(7946)) };
    const started = await bash(`set -e\n${start.join('\n')}\n"${process.execPath}" -e 'process.stdout.write("ENV " + JSON.stringify(process.env))'`, { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...defaults });
    for (const m of started.stdout.matchAll(/^bg (\d+)$/gm)) pids.push(Number(m[1]));
    assert.equal(started.code, 0, started.stderr);
    env = JSON.parse(started.stdout.slice(started.stdout.indexOf('ENV ') + 4)) as NodeJS.ProcessEnv;
    assert.equal(pids.length, 4, `nats-server and three nodes: ${started.stdout}`);
  });

  after(async () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const until = Date.now() + 20_000;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('forms a cluster of 3 on NATS JetStream with replicated durability; cluster status and token issue work as written', async () => {
    // Membership converges a few seconds after the nodes start; the README's reader runs `cluster status` after that.
    const statusJson = `"${process.execPath}" "${QUARRY_JS}" cluster status --json --node 127.0.0.1:${port(7100)}`;
    let members: Array<{ id: string; state: string }> = [];
    const until = Date.now() + 40_000;
    while (Date.now() < until) {
      const r = await bash(statusJson, env);
      if (r.code === 0) members = (JSON.parse(r.stdout) as { members: typeof members }).members;
      if (members.filter((m) => m.state === 'alive').length === 3) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    assert.deepEqual(members.map((m) => `${m.id}:${m.state}`).sort(), ['n1:alive', 'n2:alive', 'n3:alive'], `logs: ${[0, 1, 2, 3].map((i) => readLog(dir, i)).join('\n')}`);

    const r = await bash(rest.join('\n'), env);
    assert.equal(r.code, 0, r.stderr);
    for (const id of ['n1', 'n2', 'n3']) assert.match(r.stdout, new RegExp(`^${id}\\*?\\s+alive`, 'm'));
    assert.match(r.stdout.trim().split('\n').pop()!, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'token issue prints a token');

    const settings = await bash(`"${process.execPath}" "${QUARRY_JS}" config --json`, env);
    const value = (key: string) => (JSON.parse(settings.stdout) as Array<{ key: string; value: unknown }>).find((row) => row.key === key)!.value;
    assert.deepEqual([value('notify.backend'), value('cluster.durability'), value('notify.natsUrl')], ['nats', 'replicated', `nats://127.0.0.1:${port(4222)}`]);

    const nc = await connect({ servers: `nats://127.0.0.1:${port(4222)}` });
    try {
      const info = await (await jetstreamManager(nc)).streams.info('QUARRY_NOTIFY');
      assert.equal(info.config.name, 'QUARRY_NOTIFY', 'the nodes made their stream: NATS runs JetStream');
    } finally {
      await nc.close();
    }
  });

  it('accepts a player token made by hand as the README says (HS256, key = UTF-8 bytes of the secret, sub/iat/exp)', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const signingInput = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ sub: 'readme-alice', iat: nowS, exp: nowS + 600 }))}`;
    const token = `${signingInput}.${createHmac('sha256', Buffer.from(env.QUARRY_GATEWAY_TOKEN_SECRET!, 'utf8')).update(signingInput).digest('base64url')}`;
    const client = new HuntClient(`127.0.0.1:${port(7101)}`, credentials.createInsecure());
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    try {
      const ack = await new Promise<FixAck>((resolve, reject) =>
        client.reportFix({ playerId: 'readme-alice', clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, md, (err, a) => (err ? reject(err) : resolve(a!))),
      );
      assert.equal(ack.accepted, true);
      const other = await new Promise<Error | null>((resolve) =>
        client.reportFix({ playerId: 'readme-bob', clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, md, (err) => resolve(err)),
      );
      assert.match(String(other), /PERMISSION_DENIED/, "the token is only good for its sub's player");
    } finally {
      client.close();
    }
  });
});

function readLog(dir: string, i: number): string {
  try {
    return readFileSync(join(dir, `bg${i}.log`), 'utf8').slice(-1500);
  } catch {
    return '';
  }
}
