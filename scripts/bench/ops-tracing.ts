/**
 * tracingOverheadPct.10 / .100 for `quarry bench ops`: fix throughput through the real player and beacon actors
 * (ActorHost + LMDB in a temp dir, the city-hunt sample) with tracing at 10 % and 100 % sampling against tracing off,
 * in one run: `(1 - traced / untraced) * 100`.
 *
 * In-process variant. Each variant has its own host, store and players (so warm state is alike and the off host is
 * exactly a node with tracing off: no tracer, no root span). The traced hosts get a tracer of their own
 * TracerProvider with ParentBased(TraceIdRatio(r)) and a BatchSpanProcessor (SDK defaults, as the node uses)
 * whose exporter serializes each batch to OTLP protobuf and discards it, so span creation, batching and
 * serialization are paid, the network is not. Each traced fix runs inside a root `Hunt/ReportFix` SERVER span, as
 * the edge makes. The async-hooks context manager is registered only during traced rounds, as the node would
 * register it only when tracing is on. Rounds alternate off / 10 % / 100 % so machine noise hits all; medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, SpanKind, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
// The serializer the OTLP/proto exporter (a dependency) uses; same package version, resolved through it.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  TracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Fix } from '../../actors/hunt/fix.js';
import { HuntGame } from '../../actors/hunt/hunt-game.js';
import { huntKinds } from '../../actors/hunt/kinds.js';
import { loadHuntFile, type HuntDefinition } from '../../actors/hunt/definition.js';
import { ActorHost, memoryLogger, systemClock } from '../../actors/runtime/index.js';
import { openLmdbStore } from '../../actors/store/index.js';
import { median } from './harness.js';

const PLAYERS = 2_000;
const IN_FLIGHT = 512;
const ROUNDS = 3;
const ROUND_MS = 2_500;
const FIXES_PER_BEACON = 12;

export interface TracingOverhead {
  figures: Record<string, number>;
  notes: string[];
}

/** Counts what it was handed and serializes it as the OTLP/proto exporter would, then drops the bytes. */
class DiscardingOtlpExporter implements SpanExporter {
  spans = 0;
  bytes = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    this.spans += spans.length;
    this.bytes += body?.byteLength ?? 0;
    setImmediate(() => done({ code: ExportResultCode.SUCCESS }));
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

interface Variant {
  name: string;
  ratio: number | undefined;
  dir: string;
  host: ActorHost;
  game: HuntGame;
  store: ReturnType<typeof openLmdbStore>;
  provider?: TracerProvider;
  exporter?: DiscardingOtlpExporter;
  tracer?: Tracer;
  seqs: Uint32Array;
  leg: number;
  rates: number[];
}

function openVariant(hunt: HuntDefinition, name: string, ratio: number | undefined): Variant {
  const dir = mkdtempSync(join(tmpdir(), `quarry-bench-tracing-${name}-`));
  const store = openLmdbStore({ path: dir });
  const clock = systemClock();
  const kinds = huntKinds(hunt);
  let provider: TracerProvider | undefined;
  let exporter: DiscardingOtlpExporter | undefined;
  let tracer: Tracer | undefined;
  if (ratio !== undefined) {
    exporter = new DiscardingOtlpExporter();
    provider = new TracerProvider({
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
    tracer = provider.getTracer('quarry');
  }
  const host = new ActorHost({ store, clock, kinds: kinds.all, logger: memoryLogger(), passivationIdleMs: 3_600_000, askTimeoutMs: 300_000, tracer });
  const game = new HuntGame(kinds, { system: host, clock, audit: store });
  return { name, ratio, dir, host, game, store, provider, exporter, tracer, seqs: new Uint32Array(PLAYERS), leg: 0, rates: [] };
}

async function closeVariant(v: Variant): Promise<void> {
  v.game.close();
  await v.host.close();
  await v.provider?.shutdown();
  await v.store.close();
  rmSync(v.dir, { recursive: true, force: true });
}

/** Drives fixes for `durationMs` with `IN_FLIGHT` in flight; returns fixes per second. */
async function round(v: Variant, hunt: HuntDefinition, durationMs: number): Promise<number> {
  const beacons = hunt.beacons;
  const fixFor = (player: number): Fix => {
    const seq = ++v.seqs[player]!;
    const leg = Math.floor(seq / FIXES_PER_BEACON);
    const here = beacons[(player * 7 + leg) % beacons.length]!;
    const next = beacons[(player * 7 + leg + 1) % beacons.length]!;
    return {
      clientSeq: seq,
      clientTimeMs: Date.now(),
      readings: [
        { beaconId: here.id, rssiDbm: here.txPowerDbm - 3 - (seq % 3) },
        { beaconId: next.id, rssiDbm: next.txPowerDbm - 18 },
      ],
    };
  };
  const tracer = v.tracer;
  const one = (player: number): Promise<unknown> => {
    const fix = fixFor(player);
    if (tracer === undefined) return v.game.reportFix(`p${player}`, fix);
    return tracer.startActiveSpan('Hunt/ReportFix', { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': 'ReportFix' } }, (span) =>
      v.game.reportFix(`p${player}`, fix).finally(() => span.end()),
    );
  };
  if (tracer !== undefined) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  try {
    let done = 0;
    const t0 = performance.now();
    const end = t0 + durationMs;
    // Each worker owns players worker, worker+IN_FLIGHT, ...: one fix in flight per player, so client sequences stay ordered.
    const worker = async (w: number) => {
      let k = 0;
      while (performance.now() < end) {
        const player = w + (k++ % Math.ceil(PLAYERS / IN_FLIGHT)) * IN_FLIGHT;
        if (player >= PLAYERS) continue;
        await one(player);
        done++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
    return done / ((performance.now() - t0) / 1000);
  } finally {
    if (tracer !== undefined) context.disable();
  }
}

export async function measureTracingOverhead(): Promise<TracingOverhead> {
  const hunt = loadHuntFile(fileURLToPath(new URL('../../../actors/hunt/samples/city-hunt.json', import.meta.url)));
  const variants = [openVariant(hunt, 'off', undefined), openVariant(hunt, 'r10', 0.1), openVariant(hunt, 'r100', 1)];
  const notes: string[] = [];
  try {
    // Warm-up (discarded): activation of every player and JIT of both paths.
    for (const v of variants) await round(v, hunt, 1_000);
    for (let r = 0; r < ROUNDS; r++) for (const v of variants) v.rates.push(await round(v, hunt, ROUND_MS));
    for (const v of variants) await v.provider?.forceFlush();
    const [off, r10, r100] = variants.map((v) => median(v.rates)) as [number, number, number];
    const pct = (traced: number) => Math.round((1 - traced / off) * 1000) / 10;
    const figures = { 'tracingOverheadPct.10': pct(r10), 'tracingOverheadPct.100': pct(r100) };
    const exported = variants.map((v) => (v.exporter ? `${v.name} ${v.exporter.spans} spans / ${Math.round(v.exporter.bytes / 1024)} KiB` : '')).filter(Boolean);
    notes.push(
      `tracingOverheadPct.*: in-process variant (ActorHost + LMDB + city-hunt player/beacon actors, root Hunt/ReportFix span per fix, ` +
        `TracerProvider ParentBased(TraceIdRatio) + BatchSpanProcessor + OTLP/proto serialization, discarded); ` +
        `${ROUNDS} alternating rounds of ${ROUND_MS} ms, medians: off ${Math.round(off)} fixes/s, 10 % ${Math.round(r10)}, 100 % ${Math.round(r100)} ` +
        `(rounds off ${variants[0]!.rates.map(Math.round).join('/')}, 10 % ${variants[1]!.rates.map(Math.round).join('/')}, 100 % ${variants[2]!.rates.map(Math.round).join('/')}); exported ${exported.join(', ')}`,
    );
    return { figures, notes };
  } finally {
    for (const v of variants) await closeVariant(v);
  }
}
