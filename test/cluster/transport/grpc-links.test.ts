import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { AskTimeoutError, LinkClosedError } from '../../../cluster/transport/errors.js';
import { RAW_CLUSTER_LINK_SERVICE } from '../../../cluster/transport/grpc.js';
import { hostPortOf } from '../../../cluster/transport/port-probe.js';
import { envelope, startNode, type TestNode } from './support.js';
import { waitFor } from '../../../testing/wait.js';

const echo = async (env: { payload: Buffer }) => ({ correlationId: 0, payload: env.payload, errorCode: '', errorMessage: '' });

describe('cluster/transport grpc: link life cycle', function () {
  this.timeout(30_000);
  const nodes: TestNode[] = [];
  const servers: grpc.Server[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
    for (const s of servers.splice(0)) s.forceShutdown();
  });

  it('refuses a peer with the wrong key: nothing delivered, counted on the acceptor', async () => {
    const b = await startNode('b');
    const rogue = await startNode('c', { clusterKey: 'not-the-cluster-key-at-all' });
    nodes.push(b, rogue);
    let delivered = 0;
    b.transport.onEnvelope(async () => {
      delivered++;
    });
    const failed = waitFor(() => b.transport.metrics().authFailures >= 1, { phase: 'auth refusal', expected: 'authFailures ≥ 1 at b', seen: () => b.transport.metrics().authFailures });
    const connecting = rogue.transport.connect('b', b.address);
    connecting.catch(() => {});
    const ask = rogue.transport.ask('b', envelope('steal'), Date.now() + 10_000).then(() => 'resolved', (err: unknown) => err);
    await failed;
    assert.ok((await ask) instanceof LinkClosedError);
    assert.equal(delivered, 0);
    assert.notEqual(rogue.transport.linkState('b'), 'up');
  });

  it('the dialler writes nothing to a server that cannot prove the key', async () => {
    const a = await startNode('a');
    nodes.push(a);
    let messagesAtRogue = 0;
    const rogue = new grpc.Server();
    servers.push(rogue);
    rogue.addService(RAW_CLUSTER_LINK_SERVICE as unknown as grpc.ServiceDefinition, {
      link: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const md = new grpc.Metadata();
        md.set('quarry-node-id', 'b');
        md.set('quarry-auth', 'forged');
        call.sendMetadata(md);
        call.on('data', () => messagesAtRogue++);
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((res, rej) => rogue.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const failed = waitFor(() => a.transport.metrics().authFailures >= 1, { phase: 'reverse auth', expected: 'authFailures ≥ 1 at a', seen: () => a.transport.metrics().authFailures });
    a.transport.connect('b', `127.0.0.1:${port}`).catch(() => {});
    const ask = a.transport.ask('b', envelope('secret'), Date.now() + 10_000).then(() => 'resolved', (err: unknown) => err);
    await failed;
    assert.ok((await ask) instanceof LinkClosedError);
    assert.equal(messagesAtRogue, 0);
  });

  it('fails pending asks with LinkClosedError when the link drops mid-flight, then reconnects', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    let hold = true;
    let arrived = 0;
    b.transport.onEnvelope((env) => {
      arrived++;
      return hold ? new Promise(() => {}) : echo(env);
    });
    await a.transport.connect('b', b.address);
    const asks = Array.from({ length: 20 }, (_, i) => a.transport.ask('b', envelope(`p${i}`), Date.now() + 20_000));
    await waitFor(() => arrived === 20, { phase: 'mid-flight', expected: '20 asks held at b', seen: () => arrived });
    const down = waitFor(() => a.transport.linkState('b') !== 'up', { phase: 'link down', expected: 'link a→b not up', seen: () => a.transport.linkState('b') });
    b.killServer();
    const results = await Promise.allSettled(asks);
    for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof LinkClosedError, `expected LinkClosedError, got ${JSON.stringify(r)}`);
    await down;
    hold = false;
    await b.restartServer();
    await waitFor(() => a.transport.linkState('b') === 'up', { phase: 'reconnect', expected: 'link a→b up again', seen: () => a.transport.linkState('b') });
    const reply = await a.transport.ask('b', envelope('after'), Date.now() + 10_000);
    assert.equal(reply.payload.toString(), 'after');
    assert.equal(a.transport.metrics().links[0]!.connects, 2);
  });

  it('settles both nodes dialling each other at once on one link (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await startNode('a');
      const b = await startNode('b');
      nodes.push(a, b);
      a.transport.onEnvelope(echo);
      b.transport.onEnvelope(echo);
      await Promise.all([a.transport.connect('b', b.address), b.transport.connect('a', a.address)]);
      const [ra, rb] = await Promise.all([
        a.transport.ask('b', envelope(`a${round}`), Date.now() + 10_000),
        b.transport.ask('a', envelope(`b${round}`), Date.now() + 10_000),
      ]);
      assert.equal(ra.payload.toString(), `a${round}`);
      assert.equal(rb.payload.toString(), `b${round}`);
      const settled = (i: ReturnType<typeof a.transport.linkInfo>) => !!i && !i.dialing && !i.redialScheduled;
      await waitFor(() => settled(a.transport.linkInfo('b')), { phase: `race round ${round}`, expected: 'no dial or redial left on a', seen: () => a.transport.linkInfo('b') });
      await waitFor(() => settled(b.transport.linkInfo('a')), { phase: `race round ${round}`, expected: 'no dial or redial left on b', seen: () => b.transport.linkInfo('a') });
      assert.equal(a.transport.linkInfo('b')!.direction, 'outbound', 'the lower node id keeps its outbound stream');
      assert.equal(b.transport.linkInfo('a')!.direction, 'inbound');
      const ma = a.transport.metrics().links.find((l) => l.nodeId === 'b')!;
      const mb = b.transport.metrics().links.find((l) => l.nodeId === 'a')!;
      assert.equal(ma.connects, 1, `round ${round}: a's link came up ${ma.connects} times`);
      assert.equal(mb.connects, 1, `round ${round}: b's link came up ${mb.connects} times`);
      assert.equal(ma.state, 'up');
      assert.equal(mb.state, 'up');
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
    }
  });

  it('fault hook blocks a peer (asks fail fast) and heals back to a working link', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    let arrived = 0;
    b.transport.onEnvelope((env) => {
      arrived++;
      return arrived === 1 ? new Promise(() => {}) : echo(env);
    });
    await a.transport.connect('b', b.address);
    const pending = a.transport.ask('b', envelope('held'), Date.now() + 20_000);
    await waitFor(() => arrived === 1, { phase: 'before block', expected: 'first ask at b', seen: () => arrived });
    a.transport.faults.block(['b']);
    await assert.rejects(pending, (err: unknown) => err instanceof LinkClosedError);
    assert.throws(() => a.transport.send('b', envelope('lost')), LinkClosedError);
    // b's own redial attempts are refused by a while blocked.
    await waitFor(() => b.transport.linkState('a') !== 'up', { phase: 'partitioned', expected: 'b sees link down', seen: () => b.transport.linkState('a') });
    a.transport.faults.heal();
    await waitFor(() => a.transport.linkState('b') === 'up', { phase: 'heal', expected: 'link a→b up', seen: () => a.transport.linkState('b') });
    const reply = await a.transport.ask('b', envelope('healed'), Date.now() + 10_000);
    assert.equal(reply.payload.toString(), 'healed');
    assert.equal(arrived, 2);
  });

  it('blackhole mode keeps the link up but carries nothing: asks time out, then flow resumes after heal', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    let arrived = 0;
    b.transport.onEnvelope((env) => {
      arrived++;
      return echo(env);
    });
    await a.transport.connect('b', b.address);
    a.transport.faults.block(['b'], 'blackhole');
    const lost = await a.transport.ask('b', envelope('void'), Date.now() + 200).then(() => 'resolved', (e: unknown) => e);
    assert.ok(lost instanceof AskTimeoutError, `expected AskTimeoutError, got ${String(lost)}`);
    assert.equal(arrived, 0);
    assert.equal(a.transport.linkState('b'), 'up');
    a.transport.faults.heal();
    assert.equal((await a.transport.ask('b', envelope('back'), Date.now() + 10_000)).payload.toString(), 'back');
    assert.equal(arrived, 1);
  });

  it('reports a lost peer whose link port refuses connections (its process is gone)', async () => {
    const [a, b] = [await startNode('a'), await startNode('b')];
    nodes.push(a, b);
    const refused: string[] = [];
    a.transport.onPeerRefused((id) => refused.push(id));
    await a.transport.connect('b', b.address);
    assert.deepEqual(refused, [], 'nothing reported while the link is up');
    b.killServer();
    await waitFor(() => refused.length >= 1, { phase: 'refusal reported', expected: "onPeerRefused('b')", seen: () => refused.length });
    assert.equal(refused[0], 'b');
  });

  it('does not report a peer whose port accepts connections but whose link fails (wrong key)', async () => {
    const b = await startNode('b');
    const rogue = await startNode('c', { clusterKey: 'not-the-cluster-key-at-all' });
    nodes.push(b, rogue);
    const refused: string[] = [];
    rogue.transport.onPeerRefused((id) => refused.push(id));
    rogue.transport.connect('b', b.address).catch(() => {});
    await waitFor(() => b.transport.metrics().authFailures >= 2, { phase: 'auth refusal', expected: 'authFailures ≥ 2 at b', seen: () => b.transport.metrics().authFailures });
    // A probe (if one ran) connects within milliseconds on loopback; give it time to report wrongly.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(refused, []);
  });

  it('hostPortOf reads the link addresses membership advertises', () => {
    const table: Array<[string, { host: string; port: number } | undefined]> = [
      ['127.0.0.1:7101', { host: '127.0.0.1', port: 7101 }],
      ['[::1]:7101', { host: '::1', port: 7101 }],
      ['dns:node-2.quarry:7101', { host: 'node-2.quarry', port: 7101 }],
      ['node-2', undefined],
      [':7101', undefined],
      ['127.0.0.1:0', undefined],
      ['127.0.0.1:70000', undefined],
    ];
    for (const [address, expected] of table) assert.deepEqual(hostPortOf(address), expected, address);
  });
});
