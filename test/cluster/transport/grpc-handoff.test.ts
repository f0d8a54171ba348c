import assert from 'node:assert/strict';
import { HandoffFailedError, LinkAuthError, LinkClosedError } from '../../../cluster/transport/errors.js';
import type { HandoffChunk } from '../../../cluster/transport/transport.js';
import { startNode, type TestNode } from './support.js';

function* chunks(n: number, bytes: number): Iterable<HandoffChunk> {
  for (let i = 0; i < n; i++) {
    yield { ref: { kind: 'player', key: `p${i}` }, snapshot: Buffer.alloc(bytes, i % 256), journal: [Buffer.from(`e${i}`)] };
  }
}

describe('cluster/transport grpc: handoff stream', function () {
  this.timeout(30_000);
  const nodes: TestNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it('streams 2,000 chunks (16 MB) to a slow receiver in order and returns its count', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    const keys: string[] = [];
    let from = '';
    b.transport.onHandoff(async (stream, sender) => {
      from = sender;
      for await (const c of stream) {
        keys.push(c.ref!.key);
        assert.equal(c.snapshot.length, 8_192);
        assert.equal(c.journal[0]!.toString(), `e${keys.length - 1}`);
        if (keys.length % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      return keys.length;
    });
    await a.transport.connect('b', b.address);
    const ack = await a.transport.handoff('b', chunks(2_000, 8_192), Date.now() + 20_000);
    assert.equal(ack.accepted, 2_000);
    assert.equal(from, 'a');
    assert.deepEqual(keys, Array.from({ length: 2_000 }, (_, i) => `p${i}`));
  });

  it('reports the receiver\'s refusal as HandoffFailedError with its code', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    b.transport.onHandoff(async () => {
      throw Object.assign(new Error('still owner of p1'), { code: 'NOT_READY' });
    });
    await a.transport.connect('b', b.address);
    await assert.rejects(a.transport.handoff('b', chunks(3, 10), Date.now() + 10_000), (err: unknown) => err instanceof HandoffFailedError && err.code === 'NOT_READY' && /still owner of p1/.test(err.message));
  });

  it('refuses a sender with the wrong key before reading anything', async () => {
    const b = await startNode('b');
    const rogue = await startNode('c', { clusterKey: 'not-the-cluster-key-at-all' });
    nodes.push(b, rogue);
    let read = 0;
    b.transport.onHandoff(async (stream) => {
      for await (const _ of stream) read++;
      return read;
    });
    rogue.transport.connect('b', b.address).catch(() => {});
    await assert.rejects(rogue.transport.handoff('b', chunks(5, 10), Date.now() + 10_000), LinkAuthError);
    assert.equal(read, 0);
    assert.ok(b.transport.metrics().authFailures >= 1);
  });

  it('needs an address for the peer', async () => {
    const a = await startNode('a');
    nodes.push(a);
    await assert.rejects(a.transport.handoff('nobody', chunks(1, 1), Date.now() + 1_000), LinkClosedError);
  });
});
