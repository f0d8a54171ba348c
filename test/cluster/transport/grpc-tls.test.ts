import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkClosedError } from '../../../cluster/transport/errors.js';
import type { LinkTlsOptions } from '../../../cluster/transport/tls.js';
import { envelope, startNode, type TestNode } from './support.js';
import { waitFor } from '../../../testing/wait.js';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A throwaway CA and one node certificate (SAN 127.0.0.1, used by both nodes), made with the openssl CLI. */
function makeCerts(dir: string): LinkTlsOptions {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=quarry-test-ca', '-days', '1'], dir);
  openssl(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=quarry-node'], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '1', '-extfile', 'ext.cnf'], dir);
  return { caPath: join(dir, 'ca.crt'), certPath: join(dir, 'node.crt'), keyPath: join(dir, 'node.key') };
}

describe('cluster/transport grpc: TLS', function () {
  this.timeout(30_000);
  let dir: string;
  let tls: LinkTlsOptions;
  let otherCa: LinkTlsOptions;
  const nodes: TestNode[] = [];

  before(function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
    } catch {
      throw new Error('the TLS tests need the openssl CLI on PATH to make a throwaway CA');
    }
    dir = mkdtempSync(join(tmpdir(), 'quarry-tls-'));
    tls = { ...makeCerts(dir), serverNameOverride: 'localhost' };
    const other = join(dir, 'other');
    mkdirSync(other);
    otherCa = { ...makeCerts(other), serverNameOverride: 'localhost' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it('links two nodes over mutual TLS (the key proof runs inside it)', async () => {
    const a = await startNode('a', { tls: { ...tls, requireClientCertificate: true } });
    const b = await startNode('b', { tls: { ...tls, requireClientCertificate: true } });
    nodes.push(a, b);
    b.transport.onEnvelope(async (env) => ({ correlationId: 0, payload: Buffer.from(`tls:${env.payload.toString()}`), errorCode: '', errorMessage: '' }));
    await a.transport.connect('b', b.address);
    const reply = await a.transport.ask('b', envelope('hello'), Date.now() + 10_000);
    assert.equal(reply.payload.toString(), 'tls:hello');
  });

  it('server-only TLS (the default, for a server shared with players) links nodes; a dialler of another CA reaches nothing', async () => {
    const b = await startNode('b', { tls });
    const a = await startNode('a', { tls });
    const stranger = await startNode('s', { tls: otherCa });
    nodes.push(a, b, stranger);
    let delivered = 0;
    b.transport.onEnvelope(async () => {
      delivered++;
    });
    await a.transport.connect('b', b.address);
    await a.transport.ask('b', envelope('ok'), Date.now() + 10_000);
    stranger.transport.connect('b', b.address).catch(() => {});
    const ask = stranger.transport.ask('b', envelope('x'), Date.now() + 10_000).then(() => 'resolved', (e: unknown) => e);
    assert.ok((await ask) instanceof LinkClosedError);
    assert.equal(delivered, 1);
  });

  it('a plaintext dialler reaches nothing on a TLS node', async () => {
    const b = await startNode('b', { tls });
    const plain = await startNode('p');
    nodes.push(b, plain);
    let delivered = 0;
    b.transport.onEnvelope(async () => {
      delivered++;
    });
    plain.transport.connect('b', b.address).catch(() => {});
    const ask = plain.transport.ask('b', envelope('x'), Date.now() + 10_000).then(() => 'resolved', (e: unknown) => e);
    assert.ok((await ask) instanceof LinkClosedError);
    await waitFor(() => plain.transport.linkState('b') === 'backoff', { phase: 'plaintext refused', expected: 'link p→b in backoff', seen: () => plain.transport.linkState('b') });
    assert.equal(delivered, 0);
  });
});
