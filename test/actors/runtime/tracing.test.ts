import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor, StackContextManager } from '@opentelemetry/sdk-trace';
import { ActorHost, defineKind, memoryLogger, type ActorRef } from '../../../actors/runtime/index.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../../actors/store/index.js';

type Msg = { type: 'visit'; next: ActorRef<Msg, number> | null } | { type: 'get' };

const hop = defineKind<{ n: number }, Msg, number, { type: 'seen' }>({
  name: 'hop',
  initialState: () => ({ n: 0 }),
  apply: (s) => ({ n: s.n + 1 }),
  async handle(msg, ctx) {
    if (msg.type === 'get') return ctx.state.n;
    // After an await, as a real handler's later sends are: the node's context manager carries nothing across it,
    // so the send and the write join the trace only through what the runtime carries itself (Activation.traceCtx).
    await Promise.resolve();
    ctx.persist({ type: 'seen' });
    if (msg.next) await ctx.ask(msg.next, { type: 'visit', next: null });
    return ctx.state.n;
  },
});

describe('actors/runtime tracing', () => {
  let dir: string;
  let store: LmdbSnapshotStore;
  let host: ActorHost | undefined;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  // The node's context manager (ops/telemetry/tracing.ts): synchronous only.
  const contextManager = new StackContextManager();

  before(() => context.setGlobalContextManager(contextManager.enable()));
  after(() => {
    context.disable();
    contextManager.disable();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-tracing-'));
    store = openLmdbStore({ path: dir });
    exporter.reset();
  });
  afterEach(async () => {
    await host?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a message sent inside a span gets a child span per actor it reaches, across asks made by handlers', async () => {
    const tracer = provider.getTracer('test');
    host = new ActorHost({ store, logger: memoryLogger(), kinds: [hop], tracer });
    const a = host.ref(hop, 'player-a');
    const b = host.ref(hop, 'beacon-b');
    await tracer.startActiveSpan('edge call', async (root) => {
      await host!.ask(a, { type: 'visit', next: b });
      root.end();
    });
    const spans = exporter.getFinishedSpans();
    const byName = (name: string, key: string) => spans.find((s) => s.name === name && s.attributes['quarry.actor.key'] === key);
    const root = spans.find((s) => s.name === 'edge call')!;
    const spanA = byName('actor hop', 'player-a');
    const spanB = byName('actor hop', 'beacon-b');
    assert.ok(spanA && spanB, `expected spans for both actors, saw ${spans.map((s) => s.name + ':' + String(s.attributes['quarry.actor.key'])).join(', ')}`);
    assert.equal(spanA.spanContext().traceId, root.spanContext().traceId);
    assert.equal(spanB.spanContext().traceId, root.spanContext().traceId);
    assert.equal(spanA.parentSpanContext?.spanId, root.spanContext().spanId, 'player span is a child of the edge span');
    assert.equal(spanB.parentSpanContext?.spanId, spanA.spanContext().spanId, 'beacon span is a child of the player span');
    assert.equal(typeof spanA.attributes['quarry.mailbox_wait_ms'], 'number');
    const activateA = spans.find((s) => s.name === 'activate hop' && s.attributes['quarry.actor.key'] === 'player-a');
    assert.equal(activateA?.parentSpanContext?.spanId, root.spanContext().spanId, 'activation of player-a is a child of the call that woke it');
    const commits = spans.filter((s) => s.name === 'lmdb commit');
    assert.ok(commits.length >= 1, 'the journaled visit made an LMDB commit span');
    assert.ok(commits.every((c) => c.spanContext().traceId === root.spanContext().traceId), 'commit spans belong to the trace');
  });

  it('messages sent outside any span are not wrapped and make no spans', async () => {
    host = new ActorHost({ store, logger: memoryLogger(), kinds: [hop], tracer: provider.getTracer('test') });
    assert.equal(await host.ask(host.ref(hop, 'x'), { type: 'visit', next: null }), 1);
    assert.equal(exporter.getFinishedSpans().length, 0);
    assert.equal(trace.getActiveSpan(), undefined);
  });
});
