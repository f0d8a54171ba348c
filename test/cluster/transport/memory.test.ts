import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { AskTimeoutError, LinkClosedError, LinkOverloadedError } from '../../../cluster/transport/errors.js';
import { MemoryNetwork, MemoryTransport } from '../../../cluster/transport/memory.js';
import type { Envelope, Reply } from '../../../cluster/transport/transport.js';
import { envelope, gate } from './support.js';

const ok = (payload: Buffer): Reply => ({ correlationId: 0, payload, errorCode: '', errorMessage: '' });

describe('cluster/transport memory: deterministic simulation', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  let net: MemoryNetwork;
  let nodes: MemoryTransport[];

  beforeEach(() => {
    clock = FakeTimers.install({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
    net = new MemoryNetwork({ seed: 42 });
    nodes = [];
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    clock.uninstall();
  });

  function node(id: string, options: Partial<ConstructorParameters<typeof MemoryTransport>[1]> = {}): MemoryTransport {
    const t = new MemoryTransport(net, { nodeId: id, ...options });
    t.onEnvelope(async (env) => ok(Buffer.from(`${id}:${env.payload.toString()}`)));
    nodes.push(t);
    return t;
  }

  /** A few rounds of immediates and microtasks (flush, deliver, reply, flush), 1 ms of fake time each. */
  async function settle<T>(p: Promise<T>): Promise<T> {
    for (let i = 0; i < 8; i++) await clock.tickAsync(1);
    return p;
  }

  async function mesh(ids: string[]): Promise<MemoryTransport[]> {
    const ts = ids.map((id) => node(id));
    for (const t of ts) for (const other of ids) if (other !== t.nodeId) await t.connect(other, other);
    return ts;
  }

  it('delivers tells in order and answers asks, trace untouched', async () => {
    const [a, b] = await mesh(['a', 'b']);
    const got: string[] = [];
    b!.onEnvelope(async (env: Envelope, from) => {
      got.push(`${from}:${env.payload.toString()}:${env.trace.traceparent}`);
      return ok(Buffer.from('r'));
    });
    for (let i = 0; i < 100; i++) a!.send('b', { ...envelope(String(i)), trace: { traceparent: 't' } });
    const reply = await settle(a!.ask('b', envelope('q'), Date.now() + 1_000));
    assert.equal(reply.payload.toString(), 'r');
    assert.deepEqual(got, [...Array.from({ length: 100 }, (_, i) => `a:${i}:t`), 'a:q:undefined']);
  });

  it('partition severs links across groups (asks fail, sends refused) and heal restores them', async () => {
    const [a, b, c] = await mesh(['a', 'b', 'c']);
    let held = 0;
    c!.onEnvelope(() => {
      held++;
      return new Promise(() => {});
    });
    const pending = a!.ask('c', envelope('x'), Date.now() + 60_000).then(() => 'resolved', (e: unknown) => e);
    await settle(Promise.resolve());
    assert.equal(held, 1);
    net.partition(['a', 'b'], ['c']);
    assert.ok((await pending) instanceof LinkClosedError);
    assert.throws(() => a!.send('c', envelope('y')), LinkClosedError);
    assert.equal(c!.linkState('a'), 'backoff');
    assert.equal((await settle(a!.ask('b', envelope('z'), Date.now() + 1_000))).payload.toString(), 'b:z');
    // While partitioned, redials keep failing with growing backoff.
    await clock.tickAsync(10_000);
    assert.equal(a!.linkState('c'), 'backoff');
    net.heal();
    assert.equal(a!.linkState('c'), 'up');
    assert.equal(c!.linkState('b'), 'up');
    c!.onEnvelope(async (env) => ok(env.payload));
    assert.equal((await settle(a!.ask('c', envelope('back'), Date.now() + 1_000))).payload.toString(), 'back');
  });

  it('delay holds batches for exactly the set time and never reorders when it shrinks', async () => {
    const [a, b] = await mesh(['a', 'b']);
    const got: Array<[string, number]> = [];
    const t0 = Date.now();
    b!.onEnvelope(async (env) => {
      got.push([env.payload.toString(), Date.now() - t0]);
    });
    net.delay('a', 'b', 50);
    a!.send('b', envelope('slow'));
    await clock.tickAsync(10);
    net.delay('a', 'b', 0);
    a!.send('b', envelope('fast'));
    await clock.tickAsync(100);
    assert.deepEqual(got, [['slow', 50], ['fast', 50]]);
  });

  it('drop loses batches; an ask then times out with AskTimeoutError exactly at its deadline', async () => {
    const [a] = await mesh(['a', 'b']);
    net.drop('a', 'b', 1);
    const deadline = Date.now() + 300;
    const result = a!.ask('b', envelope('lost'), deadline).then(() => undefined, (e: unknown) => [e, Date.now()] as const);
    await clock.tickAsync(299);
    await clock.tickAsync(1);
    const [err, at] = (await result)!;
    assert.ok(err instanceof AskTimeoutError);
    assert.equal(at, deadline);
    assert.equal(a!.metrics().links[0]!.asksInFlight, 0);
  });

  it('a held receiver pushes back to a bounded sender queue (LinkOverloadedError), and all accepted arrive in order', async () => {
    const a = node('a', { maxQueuedEnvelopes: 64 });
    const b = node('b', { maxInboundInFlight: 8 });
    await a.connect('b', 'b');
    const release = gate();
    const got: number[] = [];
    b.onEnvelope(async (env) => {
      got.push(Number(env.payload.toString()));
      await release.promise;
    });
    let accepted = 0;
    let overload: unknown;
    for (let turn = 0; turn < 1_000 && !overload; turn++) {
      for (let i = 0; i < 16; i++) {
        try {
          a.send('b', envelope(String(accepted)));
          accepted++;
        } catch (err) {
          overload = err;
          break;
        }
      }
      await clock.tickAsync(0);
    }
    assert.ok(overload instanceof LinkOverloadedError, `expected overload, got ${String(overload)} after ${accepted}`);
    assert.ok(got.length < accepted);
    release.open();
    await clock.runAllAsync();
    assert.deepEqual(got, Array.from({ length: accepted }, (_, i) => i));
  });

  it('two nodes asking each other at full load with tiny queues both finish (liveness under mutual backpressure)', async () => {
    const small = { maxQueuedEnvelopes: 64, maxQueuedBytes: 4_096, maxBatchBytes: 512, maxInboundInFlight: 4 };
    const a = node('a', small);
    const b = node('b', small);
    await a.connect('b', 'b');
    const total = 2_000;
    const run = async (from: MemoryTransport, to: string) => {
      const asks: Promise<Reply>[] = [];
      while (asks.length < total) {
        const m = from.metrics().links[0]!;
        if (m.queued >= 60 || m.queuedBytes >= 3_500) await clock.tickAsync(1); // nearly full: let the link drain
        else asks.push(from.ask(to, envelope(`${from.nodeId}${asks.length}`), Date.now() + 600_000));
      }
      return Promise.all(asks);
    };
    const both = Promise.all([run(a, 'b'), run(b, 'a')]);
    let done = false;
    void both.then(() => (done = true));
    for (let i = 0; i < 10_000 && !done; i++) await clock.tickAsync(1);
    const [ra, rb] = await both;
    assert.equal(ra[total - 1]!.payload.toString(), `b:a${total - 1}`);
    assert.equal(rb[total - 1]!.payload.toString(), `a:b${total - 1}`);
  });

  it('handoff copies chunks in order to the far handler; a partition mid-stream fails it with LinkClosedError', async () => {
    const [a, b] = await mesh(['a', 'b']);
    const keys: string[] = [];
    b!.onHandoff(async (stream, from) => {
      for await (const c of stream) keys.push(`${from}:${c.ref!.key}:${c.snapshot.toString()}`);
      return keys.length;
    });
    const chunk = (i: number) => ({ ref: { kind: 'k', key: `x${i}` }, snapshot: Buffer.from(`s${i}`), journal: [] });
    const ack = await settle(a!.handoff('b', [0, 1, 2].map(chunk), Date.now() + 1_000));
    assert.deepEqual(ack, { accepted: 3 });
    assert.deepEqual(keys, ['a:x0:s0', 'a:x1:s1', 'a:x2:s2']);
    async function* cut() {
      yield chunk(3);
      net.partition(['a'], ['b']);
      yield chunk(4);
    }
    const failed = a!.handoff('b', cut(), Date.now() + 1_000).then(() => 'resolved', (e: unknown) => e);
    assert.ok((await settle(failed)) instanceof LinkClosedError);
    assert.deepEqual(keys.slice(3), ['a:x3:s3']);
  });

  it('connect to an unknown address keeps retrying; disconnect rejects the waiter with LinkClosedError', async () => {
    const a = node('a');
    const up = a.connect('ghost', 'ghost').then(() => 'up', (e: unknown) => e);
    await clock.tickAsync(1_000);
    assert.equal(a.linkState('ghost'), 'backoff');
    await a.disconnect('ghost');
    assert.ok((await up) instanceof LinkClosedError);
    assert.equal(a.linkState('ghost'), undefined);
  });
});
