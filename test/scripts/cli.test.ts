/**
 * The `quarry` command as an operator meets it (issue 19, item 8): usage errors exit 2 without a stack trace,
 * `--version`, QUARRY_NODE, every config error of a run at once, `quarry config` without secrets, typed `--json`,
 * `token issue` with only the token secret, and a port in use named by its setting on a real `quarry node start`.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenVerifier } from '../../gateway/auth/index.js';
import { OPERATOR_TOKEN, startAdminNode, type AdminNode } from '../ops/admin/support/admin-node.js';
import { runQuarry, STACK_LINE } from '../support/cli.js';

const DEV = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
const TOKEN_SECRET = 'cli-test-token-secret-0123456789abcdef';

describe('scripts/quarry CLI', function () {
  this.timeout(60_000);

  it('every usage error exits 2 with one message and no stack trace', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['config', '--set', 'nodegrpcPort'], /--set expects key=value, got "nodegrpcPort"/],
      [['config', '--no-such-option'], /unknown option '--no-such-option'/],
      [['no-such-command'], /unknown command 'no-such-command'/],
      [['demo', '--nodes', '0'], /--nodes must be an integer of at least 1, got "0"/],
      [['demo', '--players', 'many'], /--players must be an integer of at least 1, got "many"/],
      [['loadgen', '--target', '127.0.0.1:1', '--duration-s', '1.5'], /--duration-s must be an integer of at least 1, got "1.5"/],
      [['bench', 'load', '--workers', 'x'], /--workers must be an integer of at least 1/],
      [['token', 'issue', '--player', 'a', '--ttl-minutes', '0'], /--ttl-minutes must be an integer of at least 1/],
      [['cluster', 'status'], /required option '--node <host:port>' not specified/],
    ];
    for (const [args, message] of cases) {
      const r = await runQuarry(args, DEV);
      assert.equal(r.code, 2, `quarry ${args.join(' ')}: exit ${r.code}; stderr: ${r.stderr}`);
      assert.match(r.stderr, message, `quarry ${args.join(' ')}`);
      assert.doesNotMatch(r.stderr, STACK_LINE, `quarry ${args.join(' ')} printed a stack trace`);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await runQuarry(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  it('lists every config error of a run at once, each naming its key, and exits 2', async () => {
    const r = await runQuarry(['config', '--set', 'runtime.mailboxCapacity=0', '--set', 'node.grpcPort=x', '--set', 'no.such=1'], { ...DEV, QUARRY_RUNTIME_ASK_TIMEOUT_MS: '-5' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^4 config errors:$/m);
    for (const key of ['runtime.mailboxCapacity', 'node.grpcPort', 'no.such', 'runtime.askTimeoutMs']) assert.match(r.stderr, new RegExp(`config ${key.replace('.', '\\.')}: `), key);
    assert.doesNotMatch(r.stderr, STACK_LINE);
  });

  it('quarry config runs without any secret, marks the missing ones, and --json keeps value types', async () => {
    const r = await runQuarry(['config', '--json', '--set', 'node.seeds=10.0.0.1:7946'], { QUARRY_OPS_OPERATOR_TOKEN: OPERATOR_TOKEN });
    assert.equal(r.code, 0, r.stderr);
    const rows = new Map((JSON.parse(r.stdout) as Array<{ key: string; value: unknown; source: string }>).map((row) => [row.key, row]));
    assert.equal(rows.get('node.grpcPort')!.value, 7100);
    assert.equal(rows.get('ops.allowDevSecrets')!.value, false);
    assert.equal(rows.get('ops.tracingSampleRatio')!.value, 0.1);
    assert.deepEqual(rows.get('node.seeds'), { key: 'node.seeds', value: ['10.0.0.1:7946'], source: 'flag' });
    assert.deepEqual(rows.get('cluster.key'), { key: 'cluster.key', value: '<missing>', source: 'default' });
    assert.deepEqual(rows.get('gateway.tokenSecret'), { key: 'gateway.tokenSecret', value: '<missing>', source: 'default' });
    assert.deepEqual(rows.get('ops.operatorToken'), { key: 'ops.operatorToken', value: '<set>', source: 'environment' });
    assert.match(r.stderr, /cluster\.key is missing .* set QUARRY_CLUSTER_KEY/);
    assert.ok(!r.stdout.includes(OPERATOR_TOKEN) && !r.stderr.includes(OPERATOR_TOKEN), 'a secret is never printed');
    const table = await runQuarry(['config']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^cluster\.key\s+<missing>\s+default$/m);
    assert.match(table.stdout, /^node\.grpcPort\s+7100\s+default$/m);
  });

  it('token issue needs only gateway.tokenSecret', async () => {
    const r = await runQuarry(['token', 'issue', '--player', 'alice'], { QUARRY_GATEWAY_TOKEN_SECRET: TOKEN_SECRET });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await new TokenVerifier({ hs256Secret: TOKEN_SECRET }).verify(r.stdout.trim())).playerId, 'alice');
    const without = await runQuarry(['token', 'issue', '--player', 'alice']);
    assert.equal(without.code, 2);
    assert.match(without.stderr, /^config gateway\.tokenSecret: still has the built-in development value/);
  });

  it('node start with a hunt file it cannot read names hunt.file and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quarry-cli-hunt-'));
    try {
      const r = await runQuarry(['node', 'start', '--set', 'hunt.file=/nonexistent/hunt.json', '--set', `node.dataDir=${dir}`, '--set', 'node.grpcPort=0', '--set', 'node.httpPort=0', '--set', 'node.gossipPort=0'], DEV);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^config hunt\.file: cannot read \/nonexistent\/hunt\.json/m);
      assert.doesNotMatch(r.stderr, STACK_LINE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('QUARRY_NODE', () => {
    let node: AdminNode;
    before(async () => {
      node = await startAdminNode('cli-n1');
    });
    after(() => node?.close());

    it('is the default of --node for the operator commands', async () => {
      const r = await runQuarry(['cluster', 'status', '--json'], { QUARRY_NODE: node.grpcAddress, QUARRY_OPS_OPERATOR_TOKEN: OPERATOR_TOKEN });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).members[0].id, 'cli-n1');
    });
  });

  describe('quarry node start with a port in use', () => {
    let dir: string;
    let tcp: Server;
    let udp: UdpSocket;
    let tcpPort: number;
    let udpPort: number;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'quarry-cli-'));
      tcp = createServer();
      tcpPort = await new Promise<number>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port)));
      udp = createSocket('udp4');
      udpPort = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    });
    after(() => {
      tcp?.close();
      udp?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const start = (id: string, ports: Record<string, number>) =>
      runQuarry(['node', 'start', '--set', `node.id=${id}`, '--set', `node.dataDir=${join(dir, id)}`, '--set', 'cluster.membershipPreset=local', ...Object.entries({ 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, ...ports }).flatMap(([k, v]) => ['--set', `${k}=${v}`])], DEV);

    for (const [key, which] of [['node.grpcPort', 'tcp'], ['node.httpPort', 'tcp'], ['node.gossipPort', 'udp']] as const) {
      it(`names ${key} and exits 2`, async () => {
        const port = which === 'tcp' ? tcpPort : udpPort;
        const r = await start(key.replace('node.', ''), { [key]: port });
        assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^config ${key.replace('.', '\\.')}: ${which.toUpperCase()} port 127\\.0\\.0\\.1:${port} is already in use`, 'm'));
        assert.doesNotMatch(r.stderr, STACK_LINE);
        assert.doesNotMatch(r.stdout, /"event":"ready"/);
      });
    }
  });
});
