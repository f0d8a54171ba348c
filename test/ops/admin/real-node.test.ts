import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { adminClient, type Admin } from '../../../ops/admin/client.js';
import { OPERATOR_TOKEN, startAdminNode, type AdminNode } from './support/admin-node.js';

const QUARRY = fileURLToPath(new URL('../../../scripts/quarry.js', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `quarry ...` as a child process; the token goes through the environment unless `env` says otherwise. */
function quarry(args: string[], env: Record<string, string | undefined> = { QUARRY_OPS_OPERATOR_TOKEN: OPERATOR_TOKEN }): Promise<CliResult> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    if (env.QUARRY_OPS_OPERATOR_TOKEN === undefined) delete childEnv.QUARRY_OPS_OPERATOR_TOKEN;
    execFile(process.execPath, [QUARRY, ...args], { env: childEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('admin over a real single node (LMDB, ActorHost, hunt kinds, gateway server)', function () {
  this.timeout(60_000);
  let node: AdminNode;
  let admin: Admin;

  before(async () => {
    node = await startAdminNode('n1', 'all');
    admin = adminClient(node.grpcAddress, OPERATOR_TOKEN);
    await node.fix('alice', 1);
    await node.fix('alice', 2);
    await node.fix('bob', 1);
  });
  after(async () => {
    admin?.close();
    await node?.close();
  });

  it('Status: this node alive with the whole ring, its active actors per kind and a loop lag', async () => {
    const s = await admin.status();
    assert.equal(s.members.length, 1);
    const m = s.members[0]!;
    assert.deepEqual([m.id, m.state, m.ringShare, m.unreachableReason], ['n1', 'alive', 1, '']);
    assert.equal(m.activeActorsByKind.player, 2);
    assert.ok(m.eventLoopLagMs >= 0);
    assert.match(s.ringChecksum, /^[0-9a-f]+$/);
  });

  it('Inspect player/alice: state, metrics and the recent messages with their diffs', async () => {
    const info = await admin.inspect('player', 'alice');
    assert.equal(info.node, 'n1');
    assert.equal(info.active, true);
    assert.equal(info.messagesHandled, 2);
    assert.equal(info.mailboxDepth, 0);
    assert.equal(info.activationCount, 1);
    assert.ok(info.passivationDueMs > info.lastActivityMs);
    assert.equal(typeof JSON.parse(info.stateJson), 'object');
    const recent = JSON.parse(info.recentJson) as { msg: { type: string; fix: { clientSeq: number } }; diff: unknown[] }[];
    assert.deepEqual(recent.map((r) => [r.msg.type, r.msg.fix.clientSeq]), [['fix', 1], ['fix', 2]]);
    assert.ok(recent[0]!.diff.length > 0, `the first fix changes alice's state; recent: ${info.recentJson.slice(0, 300)}`);
  });

  it("by default (operatorTools' 'inspected' mode) only an inspected actor's messages are recorded", async () => {
    const other = await startAdminNode('n2');
    const client = adminClient(other.grpcAddress, OPERATOR_TOKEN);
    try {
      await other.fix('carol', 1);
      assert.deepEqual(JSON.parse((await client.inspect('player', 'carol')).recentJson), [], 'nothing recorded before the first inspection');
      await other.fix('carol', 2);
      await other.fix('dave', 1);
      const recent = JSON.parse((await client.inspect('player', 'carol')).recentJson) as { msg: { fix: { clientSeq: number } } }[];
      assert.deepEqual(recent.map((r) => r.msg.fix.clientSeq), [2]);
      assert.deepEqual(JSON.parse((await client.inspect('player', 'dave')).recentJson), []);
    } finally {
      client.close();
      await other.close();
    }
  });

  it('Search by key prefix finds the active players', async () => {
    const r = await admin.search('player', '', 10);
    assert.deepEqual(r.actors.map((a) => a.key), ['alice', 'bob']);
  });

  it('Leave and Join without cluster routing fail with FAILED_PRECONDITION, naming why', async () => {
    await assert.rejects(admin.leave(() => {}), (e: { code: number; details: string }) => e.code === status.FAILED_PRECONDITION && /leave needs the ClusterRouter/.test(e.details));
  });

  describe('quarry CLI as a child process', () => {
    it('cluster status --json', async () => {
      const r = await quarry(['cluster', 'status', '--node', node.grpcAddress, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      assert.equal(s.members[0].id, 'n1');
      assert.equal(s.members[0].activeActorsByKind.player, 2);
      assert.ok(!r.stdout.includes(OPERATOR_TOKEN) && !r.stderr.includes(OPERATOR_TOKEN), 'the token is never printed');
    });

    it('cluster status prints a table; ring and drain --dry-run too', async () => {
      const s = await quarry(['cluster', 'status', '--node', node.grpcAddress, '--token', OPERATOR_TOKEN], {});
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^MEMBER\s+STATE\s+INC\s+ADDRESS\s+RING\s+ACTIVE ACTORS\s+LOOP LAG P99\n/);
      assert.match(s.stdout, /\nn1\*\s+alive\s+0\s+127\.0\.0\.1:\d+\s+100\.0%\s+.*player=2/);
      const ring = await quarry(['ring', '--node', node.grpcAddress, '--json']);
      assert.equal(ring.code, 0, ring.stderr);
      assert.deepEqual(JSON.parse(ring.stdout).shares, { n1: 1 });
      const drain = await quarry(['node', 'drain', '--node', node.grpcAddress, '--dry-run', '--json']);
      assert.equal(drain.code, 0, drain.stderr);
      assert.equal(JSON.parse(drain.stdout).actorsByKind.player, 2);
    });

    it('inspect player/alice --json and as text', async () => {
      const j = await quarry(['inspect', 'player/alice', '--node', node.grpcAddress, '--json']);
      assert.equal(j.code, 0, j.stderr);
      const d = JSON.parse(j.stdout);
      assert.deepEqual([d.node, d.kind, d.key, d.messagesHandled, d.recent.length], ['n1', 'player', 'alice', 2, 2]);
      const t = await quarry(['inspect', 'player/alice', '--node', node.grpcAddress]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /messages handled\s+2/);
      assert.match(t.stdout, /recent messages:\n/);
    });

    it('exit codes: 3 unauthenticated, 2 bad usage, 4 unavailable, 1 failure', async () => {
      const bad = await quarry(['cluster', 'status', '--node', node.grpcAddress], { QUARRY_OPS_OPERATOR_TOKEN: 'wrong-operator-token-000000' });
      assert.equal(bad.code, 3, bad.stderr);
      assert.match(bad.stderr, /UNAUTHENTICATED/);
      assert.ok(!bad.stderr.includes('wrong-operator-token-000000'));
      const noToken = await quarry(['cluster', 'status', '--node', node.grpcAddress], {});
      assert.equal(noToken.code, 2);
      assert.match(noToken.stderr, /no operator token/);
      const usage = await quarry(['inspect', 'alice', '--node', node.grpcAddress]);
      assert.equal(usage.code, 2);
      const noDryRun = await quarry(['node', 'drain', '--node', node.grpcAddress]);
      assert.equal(noDryRun.code, 2);
      const down = await quarry(['cluster', 'status', '--node', '127.0.0.1:1', '--timeout-ms', '2000']);
      assert.equal(down.code, 4, down.stderr);
      const missing = await quarry(['inspect', 'player/nobody', '--node', node.grpcAddress]);
      assert.equal(missing.code, 1, missing.stderr);
      assert.match(missing.stderr, /NOT_FOUND/);
      const leave = await quarry(['node', 'leave', '--node', node.grpcAddress]);
      assert.equal(leave.code, 1, leave.stderr);
      assert.match(leave.stderr, /FAILED_PRECONDITION/);
    });

    it('--help on every command shows examples and the exit codes', async () => {
      for (const cmd of [['node', 'join'], ['node', 'leave'], ['node', 'drain'], ['cluster', 'status'], ['ring'], ['inspect']]) {
        const h = await quarry([...cmd, '--help']);
        assert.equal(h.code, 0, cmd.join(' '));
        assert.match(h.stdout, /Examples:\n  quarry /, cmd.join(' '));
        assert.match(h.stdout, /Exit codes: 0 ok, 1 failure, 2 bad usage or config, 3 unauthenticated/, cmd.join(' '));
      }
    });
  });
});
