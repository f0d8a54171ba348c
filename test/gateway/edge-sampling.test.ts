/**
 * Tracing costs only sampled calls: the edge decides sampling before it makes any span (gateway/edge-sampling.ts), so
 * an unsampled fix creates no span object and no attributes anywhere on its way (edge, player and beacon actors,
 * commit), and a sampled one still makes its whole tree. Real Hunt service, HuntGame, ActorHost and LMDB in one
 * process; the tracer is a spy that counts every span asked of it, sampled or not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, StackContextManager, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { loadHuntFile } from '../../actors/hunt/definition.js';
import { HuntGame } from '../../actors/hunt/hunt-game.js';
import { huntKinds } from '../../actors/hunt/kinds.js';
import { ActorHost, memoryLogger, systemClock } from '../../actors/runtime/index.js';
import { SAMPLED_BY_CALLER } from '../../actors/runtime/tracing.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../actors/store/index.js';
import { issuePlayerToken, TokenVerifier } from '../../gateway/auth/index.js';
import { sampledEdgeContext } from '../../gateway/edge-sampling.js';
import { huntService } from '../../gateway/hunt-service.js';
import type { Notifier } from '../../gateway/notify/notifier.js';
import { CallerDecidedSampler } from '../../ops/telemetry/tracing.js';
import type { Fix, FixAck } from '../../proto/gen/hunt.js';

const SECRET = 'edge-sampling-test-secret-0123456789';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Counts every span started through it (a NonRecordingSpan too) and the attribute objects it was handed. */
class SpyTracer implements Tracer {
  spans = 0;
  attributeSets = 0;
  constructor(private readonly inner: Tracer) {}
  startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
    this.spans++;
    if (options?.attributes !== undefined) this.attributeSets++;
    return this.inner.startSpan(name, options, ctx);
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args.pop() as F;
    const [options, ctx] = args as [SpanOptions | undefined, Context | undefined];
    const span = this.startSpan(name, options, ctx ?? context.active());
    return context.with(trace.setSpan(ctx ?? context.active(), span), () => fn(span)) as ReturnType<F>;
  }
}

const metadataWith = (entries: Record<string, string>) => {
  const md = new Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
};

describe('gateway edge sampling', () => {
  // The node's (ops/telemetry/tracing.ts): nothing is carried across an await but what Quarry carries itself.
  const contextManager = new StackContextManager();
  before(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  after(() => {
    context.disable();
    propagation.disable();
  });

  it('decides before any span: the client sampled flag when it sent a valid traceparent, else the ratio', () => {
    const never = () => 0.99;
    const always = () => 0;
    assert.equal(sampledEdgeContext(new Metadata(), 0.1, never), undefined);
    assert.equal(sampledEdgeContext(new Metadata(), 0.1, always)?.getValue(SAMPLED_BY_CALLER), true);
    assert.equal(sampledEdgeContext(new Metadata(), 0, always), undefined, 'ratio 0 never samples');
    const sampled = sampledEdgeContext(metadataWith({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }), 0, never);
    assert.equal(trace.getSpanContext(sampled!)?.traceId, TRACE_ID, "a sampled client parent is joined whatever the ratio");
    assert.equal(sampled!.getValue(SAMPLED_BY_CALLER), undefined, 'a joined trace is not a new root');
    assert.equal(sampledEdgeContext(metadataWith({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00` }), 1, always), undefined, 'an unsampled client parent is honoured');
    assert.equal(sampledEdgeContext(metadataWith({ traceparent: 'garbage' }), 1, always)?.getValue(SAMPLED_BY_CALLER), true, 'a malformed traceparent is a new root');
  });

  describe('fixes through the Hunt service to real actors', () => {
    let dir: string;
    let store: LmdbSnapshotStore;
    let host: ActorHost;
    let game: HuntGame;
    const exporter = new InMemorySpanExporter();
    // As the node configures it (ops/telemetry/tracing.ts), with the ratio of other roots at 0.
    const provider = new TracerProvider({
      sampler: new ParentBasedSampler({ root: new CallerDecidedSampler(new TraceIdRatioBasedSampler(0)) }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const spy = new SpyTracer(provider.getTracer('test'));
    const hunt = loadHuntFile(fileURLToPath(new URL('../../actors/hunt/samples/city-hunt.json', import.meta.url)));
    let seq = 0;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'quarry-edge-sampling-'));
      store = openLmdbStore({ path: dir });
      const kinds = huntKinds(hunt);
      host = new ActorHost({ store, logger: memoryLogger(), kinds: kinds.all, tracer: spy });
      game = new HuntGame(kinds, { system: host, clock: systemClock(), audit: store });
    });
    after(async () => {
      game.close();
      await host.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      spy.spans = 0;
      spy.attributeSets = 0;
      exporter.reset();
    });

    /** Reports fixes for `playerId` at each of `beacons` in turn (3 each, so the player visits every one). */
    const walk = async (sampleRatio: number, playerId: string, beacons: number) => {
      const service = huntService({ game, notifier: {} as Notifier, verifier: new TokenVerifier({ hs256Secret: SECRET }), logger: memoryLogger(), tracing: { tracer: spy, sampleRatio } });
      const token = await issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 5 });
      const acks: FixAck[] = [];
      for (let b = 0; b < beacons; b++) {
        for (let i = 0; i < 3; i++) {
          const request: Fix = { playerId, clientSeq: ++seq, clientTimeMs: Date.now(), readings: [{ beaconId: hunt.beacons[b]!.id, rssiDbm: -50 }], gps: undefined };
          const call = { request, metadata: metadataWith({ authorization: `Bearer ${token}` }) } as unknown as ServerUnaryCall<Fix, FixAck>;
          const reportFix = service.implementation.reportFix as (c: typeof call, cb: (err: unknown, ack?: FixAck) => void) => void;
          acks.push(await new Promise<FixAck>((resolve, reject) => reportFix(call, (err, ack) => (err ? reject(err as Error) : resolve(ack!)))));
        }
      }
      await host.flush();
      return acks;
    };

    it('an unsampled fix creates no span object and no attributes, at the edge or in any actor', async () => {
      const acks = await walk(0, 'una', 3);
      assert.ok(acks.some((a) => a.awards.length > 0), 'the walk visited beacons (their actors and commits ran)');
      assert.equal(spy.spans, 0, 'spans asked of the tracer');
      assert.equal(spy.attributeSets, 0, 'attribute objects built');
      assert.equal(exporter.getFinishedSpans().length, 0);
    });

    it('a sampled fix still makes its tree: edge span, player under it, beacon under the player, the commit', async () => {
      await walk(1, 'sam', 2);
      const spans = exporter.getFinishedSpans();
      const edge = spans.filter((s) => s.name === 'Hunt/ReportFix');
      assert.equal(edge.length, 6, 'one edge span per fix');
      const player = spans.find((s) => s.name === 'actor player' && s.attributes['quarry.actor.key'] === 'sam')!;
      assert.ok(edge.some((e) => e.spanContext().spanId === player.parentSpanContext?.spanId), 'the player span is a child of an edge span');
      const beacon = spans.find((s) => s.name === 'actor beacon');
      assert.ok(beacon, `a visit asks the beacon: ${spans.map((s) => s.name).join(', ')}`);
      assert.ok(spans.some((s) => s.spanContext().spanId === beacon.parentSpanContext?.spanId && s.name === 'actor player'), 'the beacon span is a child of a player span');
      assert.ok(spans.some((s) => s.name === 'lmdb commit'), 'the journal commit is traced');
    });
  });
});
