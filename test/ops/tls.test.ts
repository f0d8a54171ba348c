/**
 * TLS from configuration (issue 19, item 11), with a CA and certificates made by `openssl` at run time: a player over
 * native gRPC and HTTPS against a real node process, node links over mutual TLS between two node processes, a link
 * presenting a certificate of another CA refused, an expired certificate a clear config error, and the one warning a
 * node without TLS logs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildRing, ownerOf } from '../../cluster/placement/ring.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { ConfigError, loadConfig, nodeConfig, nodeTls } from '../../ops/config/index.js';
import { HuntClient, type FixAck } from '../../proto/gen/hunt.js';
import { spawnNode, type LocalNode } from '../../scripts/sim/local-cluster.js';

interface Pki {
  ca: string;
  cert: string;
  key: string;
}

/** A CA (`name`-ca.pem) and one certificate it signs for 127.0.0.1, made with openssl in `dir`. */
function makePki(dir: string, name: string): Pki {
  const p = (f: string) => join(dir, `${name}-${f}`);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', `/CN=${name} test CA`);
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('node.key'), '-out', p('node.csr'), '-subj', `/CN=${name} node`);
  writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ossl('x509', '-req', '-in', p('node.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('node.pem'), '-days', '1', '-extfile', p('ext.cnf'));
  return { ca: p('ca.pem'), cert: p('node.pem'), key: p('node.key') };
}

const DEV = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
const tlsSettings = (pki: Pki) => ({ 'cluster.tlsCaFile': pki.ca, 'cluster.tlsCertFile': pki.cert, 'cluster.tlsKeyFile': pki.key, 'gateway.tlsCertFile': pki.cert, 'gateway.tlsKeyFile': pki.key });

/** GET over HTTPS trusting `ca`, with the operator token. */
function httpsText(url: string, ca: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    httpsGet(url, { ca: readFileSync(ca), headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject),
  );
}

/** The value of one sample line of a Prometheus exposition, e.g. `quarry_cluster_members{node="a",state="alive"}`. */
function sample(text: string, name: string, label: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line === undefined ? NaN : Number(line.split(' ').pop());
}

function waitForReady(client: grpc.Client, ms: number): Promise<Error | undefined> {
  return new Promise((resolve) => client.waitForReady(Date.now() + ms, (err) => resolve(err ?? undefined)));
}

describe('TLS from configuration (openssl-made CA, real node processes)', function () {
  this.timeout(120_000);
  let dir: string;
  let pki: Pki;
  let other: Pki;
  const nodes: LocalNode[] = [];
  const config = nodeConfig(loadConfig({ env: DEV }));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-tls-'));
    pki = makePki(dir, 'cluster');
    other = makePki(dir, 'other');
    for (const id of ['tls1', 'tls2']) {
      nodes.push(
        await spawnNode({
          env: DEV,
          settings: {
            'node.id': id, 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, 'node.dataDir': join(dir, id),
            'cluster.membershipPreset': 'local', 'ops.logLevel': 'warn', ...tlsSettings(pki),
            ...(nodes.length > 0 ? { 'node.seeds': nodes[0]!.ready.gossipAddress } : {}),
          },
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a player reaches the native gRPC port over TLS (and not in clear), and the page over HTTPS', async () => {
    const node = nodes[0]!.ready;
    assert.match(node.httpUrl, /^https:\/\//);
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'tls-alice', ttlMinutes: 5 });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const fix = (client: HuntClient) =>
      new Promise<FixAck | Error>((resolve) =>
        client.reportFix({ playerId: 'tls-alice', clientSeq: Date.now(), clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, md, { deadline: Date.now() + 5_000 }, (err, ack) => resolve(err ?? ack!)),
      );
    const secure = new HuntClient(node.grpcAddress, grpc.credentials.createSsl(readFileSync(pki.ca)));
    const plain = new HuntClient(node.grpcAddress, grpc.credentials.createInsecure());
    try {
      const ack = await fix(secure);
      assert.ok(!(ack instanceof Error), String(ack));
      assert.equal(ack.accepted, true);
      assert.ok((await fix(plain)) instanceof Error, 'a plain-text client gets nothing');
    } finally {
      secure.close();
      plain.close();
    }
    const page = await httpsText(`${node.httpUrl}/`, pki.ca);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
  });

  it('node links run over mutual TLS: a fix entering at one node reaches the player owned by the other', async () => {
    // Both members alive as tls1 sees them: its ring then gives tls2 its share, reachable only over a link.
    const until = Date.now() + 20_000;
    let alive = NaN;
    while (Date.now() < until && alive !== 2) {
      alive = sample((await httpsText(`${nodes[0]!.ready.httpUrl}/metrics`, pki.ca, config.ops.operatorToken)).body, 'quarry_cluster_members', 'state="alive"');
      if (alive !== 2) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(alive, 2, 'tls1 sees both members alive');
    const ring = buildRing(['tls1', 'tls2']);
    const playerId = Array.from({ length: 200 }, (_, i) => `tls-p${i}`).find((p) => ownerOf(ring, 'player', p) === 'tls2')!;
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId, ttlMinutes: 5 });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const client = new HuntClient(nodes[0]!.ready.grpcAddress, grpc.credentials.createSsl(readFileSync(pki.ca)));
    let last: FixAck | Error | undefined;
    try {
      // Membership converges just after start; until then a fix may be refused as retriable, as any client retries.
      const retryUntil = Date.now() + 20_000;
      for (let seq = 1; Date.now() < retryUntil; seq++) {
        last = await new Promise<FixAck | Error>((resolve) =>
          client.reportFix({ playerId, clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -55 }], gps: undefined }, md, (err, ack) => resolve(err ?? ack!)),
        );
        if (!(last instanceof Error)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      client.close();
    }
    assert.ok(last !== undefined && !(last instanceof Error), `the fix went through the link: ${String(last)}`);
    const players = sample((await httpsText(`${nodes[1]!.ready.httpUrl}/metrics`, pki.ca, config.ops.operatorToken)).body, 'quarry_actors_active', 'kind="player"');
    assert.ok(players >= 1, `tls2 hosts the player (${players} active players there)`);
  });

  it('refuses a link whose certificate another CA signed, in either direction', async () => {
    const address = nodes[0]!.ready.grpcAddress;
    const creds = (trust: Pki, own: Pki) => grpc.credentials.createSsl(readFileSync(trust.ca), readFileSync(own.key), readFileSync(own.cert));
    const good = new grpc.Client(address, creds(pki, pki));
    const foreignCert = new grpc.Client(address, creds(pki, other));
    const foreignTrust = new grpc.Client(address, creds(other, other));
    try {
      assert.equal(await waitForReady(good, 5_000), undefined, 'a certificate of the cluster CA is accepted');
      assert.ok(await waitForReady(foreignCert, 3_000), 'the node refuses a client certificate of another CA');
      assert.ok(await waitForReady(foreignTrust, 3_000), 'a node of another CA refuses this node');
    } finally {
      for (const c of [good, foreignCert, foreignTrust]) c.close();
    }
  });

  it('an expired certificate is a config error naming the setting; a half-set TLS too', () => {
    const cfg = nodeConfig(loadConfig({ env: DEV, flags: tlsSettings(pki) }));
    assert.ok(nodeTls(cfg).edge);
    assert.throws(() => nodeTls(cfg, Date.now() + 3 * 24 * 3600_000), (e: unknown) => e instanceof ConfigError && e.key === 'cluster.tlsCertFile' && /expired on/.test(e.message));
    assert.throws(() => loadConfig({ env: DEV, flags: { 'gateway.tlsCertFile': pki.cert, 'gateway.tlsKeyFile': pki.key } }), (e: unknown) => e instanceof ConfigError && e.key === 'cluster.tlsCaFile');
    assert.throws(() => loadConfig({ env: DEV, flags: { 'cluster.tlsCaFile': pki.ca } }), (e: unknown) => e instanceof ConfigError && /cluster\.tlsCertFile/.test(e.message));
  });

  it('a node without TLS (outside the demo) logs one warning', async () => {
    const lines: string[] = [];
    const node = await spawnNode({
      env: { QUARRY_CLUSTER_KEY: 'k'.repeat(32), QUARRY_GATEWAY_TOKEN_SECRET: 't'.repeat(40), QUARRY_OPS_OPERATOR_TOKEN: 'o'.repeat(20) },
      settings: { 'node.id': 'plain1', 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, 'node.dataDir': join(dir, 'plain1'), 'cluster.membershipPreset': 'local', 'ops.logLevel': 'warn' },
      onLog: (l) => lines.push(...l.split('\n')),
    });
    await node.stop();
    const warnings = lines.filter((l) => l.includes('"event":"no-tls"'));
    assert.equal(warnings.length, 1, lines.join('\n'));
    assert.ok(!lines.join('').includes('k'.repeat(32)), 'no secret in the logs');
  });
});
