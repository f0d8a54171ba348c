import assert from 'node:assert/strict';
import { LinkOverloadedError } from '../../../cluster/transport/errors.js';
import type { Envelope } from '../../../cluster/transport/transport.js';
import { envelope, gate, startNode, type TestNode } from './support.js';
import { waitFor } from '../../../testing/wait.js';

describe('cluster/transport grpc: delivery over a real loopback link', function () {
  this.timeout(30_000);
  const nodes: TestNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it('delivers 10k tells in order, batched, with the trace map untouched', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    const got: number[] = [];
    let traceSeen: Record<string, string> | undefined;
    b.transport.onEnvelope(async (env, from) => {
      assert.equal(from, 'a');
      got.push(env.payload.readUInt32BE(0));
      traceSeen ??= env.trace;
    });
    await a.transport.connect('b', b.address);
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'q=1' };
    const payload = Buffer.alloc(4);
    for (let i = 0; i < 10_000; i++) {
      payload.writeUInt32BE(i, 0); // reused on purpose: send encodes before returning
      a.transport.send('b', { ...envelope(payload), trace });
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => got.length === 10_000, { phase: 'ordered delivery', expected: '10000 envelopes at b', seen: () => got.length });
    assert.deepEqual(got, Array.from({ length: 10_000 }, (_, i) => i));
    assert.deepEqual(traceSeen, trace);
    const m = a.transport.metrics().links.find((l) => l.nodeId === 'b')!;
    assert.equal(m.envelopesSent, 10_000);
    assert.ok(m.batchesSent < 1_000, `expected batching, saw ${m.batchesSent} batches for 10000 envelopes`);
    assert.equal(b.transport.metrics().links.find((l) => l.nodeId === 'a')!.envelopesReceived, 10_000);
  });

  it('correlates 1k concurrent asks answered out of order, each with its own reply', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    const held: Array<() => void> = [];
    b.transport.onEnvelope((env) => new Promise((resolve) => {
      held.push(() => resolve({ correlationId: 0, payload: Buffer.from(`re:${env.payload.toString()}`), errorCode: '', errorMessage: '' }));
    }));
    await a.transport.connect('b', b.address);
    const envs: Envelope[] = [];
    const asks = Array.from({ length: 1_000 }, (_, i) => {
      const env = envelope(`q${i}`, `k${i % 7}`);
      envs.push(env);
      return a.transport.ask('b', env, Date.now() + 20_000);
    });
    await waitFor(() => held.length === 1_000, { phase: 'asks arrive', expected: '1000 held handlers at b', seen: () => held.length });
    // Answer in a scrambled but fixed order (stride 7 over 1000 visits every index once).
    for (let i = 0; i < 1_000; i++) held[(i * 7) % 1_000]!();
    const replies = await Promise.all(asks);
    replies.forEach((r, i) => assert.equal(r.payload.toString(), `re:q${i}`));
    const ids = envs.map((e) => e.correlationId);
    assert.deepEqual(ids, Array.from({ length: 1_000 }, (_, i) => i + 1), 'correlation ids count up from 1 per link');
    assert.equal(a.transport.metrics().links[0]!.asksInFlight, 0);
  });

  it('turns a handler failure into a reply with errorCode', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    nodes.push(a, b);
    b.transport.onEnvelope(async () => {
      throw Object.assign(new Error('no such beacon'), { code: 'NOT_FOUND' });
    });
    await a.transport.connect('b', b.address);
    const reply = await a.transport.ask('b', envelope('x'), Date.now() + 10_000);
    assert.equal(reply.errorCode, 'NOT_FOUND');
    assert.equal(reply.errorMessage, 'no such beacon');
  });

  it('bounds the queue against a slow receiver with LinkOverloadedError, then delivers what it accepted, in order', async () => {
    const a = await startNode('a', { maxQueuedEnvelopes: 500, maxQueuedBytes: 4 * 1024 * 1024, maxBatchBytes: 64 * 1024 });
    const b = await startNode('b', { maxInboundInFlight: 50 });
    nodes.push(a, b);
    const release = gate();
    const got: number[] = [];
    b.transport.onEnvelope(async (env) => {
      got.push(env.payload.readUInt32BE(0));
      await release.promise;
    });
    await a.transport.connect('b', b.address);
    const payload = Buffer.alloc(4096);
    let accepted = 0;
    let overload: unknown;
    while (!overload && accepted < 1_000_000) {
      for (let i = 0; i < 100; i++) {
        payload.writeUInt32BE(accepted, 0);
        try {
          a.transport.send('b', envelope(payload));
          accepted++;
        } catch (err) {
          overload = err;
          break;
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(overload instanceof LinkOverloadedError, `expected LinkOverloadedError, got ${String(overload)}`);
    const m = a.transport.metrics().links[0]!;
    assert.ok(m.queued <= 500, `queue bounded: ${m.queued} queued`);
    assert.ok(m.overloadRejections >= 1);
    assert.ok(got.length < accepted, `receiver was slowed: got ${got.length} of ${accepted} while held`);
    release.open();
    await waitFor(() => got.length === accepted, { phase: 'drain after release', expected: `${accepted} envelopes at b`, seen: () => got.length, timeoutMs: 20_000 });
    assert.deepEqual(got, Array.from({ length: accepted }, (_, i) => i));
  });
});
