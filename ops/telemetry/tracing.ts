import { context, diag, DiagConsoleLogger, propagation, trace, type Attributes, type Context, type Link, type SpanKind, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, diagLogLevelFromString, setGlobalErrorHandler, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  StackContextManager,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SamplingResult,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { SAMPLED_BY_CALLER } from '../../actors/runtime/tracing.js';
import type { Logger } from '../../actors/runtime/types.js';
import { ExportFailureLog } from './export-failures.js';
import { readOtelTraceEnv, type OtlpProtocol, type PropagatorName } from './otel-env.js';

export interface TracingOptions {
  /** Off by default (`ops.tracingEnabled`); when off, spans are no-ops and nothing is exported. */
  enabled: boolean;
  /**
   * Fraction of new root traces sampled (`ops.tracingSampleRatio`); a sampled parent is always honoured. The edge and the
   * relay draw their roots themselves (drawRoot) and mark the ones they sample; other roots are drawn here.
   */
  sampleRatio: number;
  nodeId: string;
  /** Where failed exports are reported (at most once a minute, naming the endpoint). */
  logger: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface Tracing {
  readonly tracer: Tracer;
  /**
   * Flushes pending spans and stops the exporter, within DEFAULT_TRACING_SHUTDOWN_MS. Never rejects: a collector that
   * is down costs the last spans (logged), not the node's clean exit.
   */
  shutdown(): Promise<void>;
}

/** Longest a shutdown waits for the last spans to export, in ms (the OTLP exporter retries for ~10 s). @default 2000 */
export const DEFAULT_TRACING_SHUTDOWN_MS = 2_000;

/**
 * The sampler of new root spans: a root whose caller has already drawn it (the edge, the outbox relay:
 * SAMPLED_BY_CALLER) is recorded; any other root is drawn by trace id at the configured ratio.
 */
export class CallerDecidedSampler implements Sampler {
  constructor(private readonly otherRoots: Sampler) {}
  shouldSample(ctx: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (ctx.getValue(SAMPLED_BY_CALLER) === true) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.otherRoots.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
  }
  toString(): string {
    return `CallerDecidedSampler{otherRoots=${this.otherRoots.toString()}}`;
  }
}

/** Only the exporter the protocol names is loaded: the gRPC one pulls in its own client stack. */
async function otlpExporter(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
  }
}

function propagatorOf(name: PropagatorName): TextMapPropagator {
  return name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator();
}

/**
 * Starts OpenTelemetry tracing for this process with the trace SDK alone (no metrics or logs providers, no
 * auto-instrumentation: Quarry makes its own spans, so the exporter's own HTTP traffic is never traced). The standard
 * variables configure it as they configure any OpenTelemetry SDK (see `otel-env.ts` for the list):
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` = http/protobuf | http/json | grpc,
 * `OTEL_TRACES_EXPORTER`, `OTEL_SERVICE_NAME` (default `quarry`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`.
 * An unsupported value throws an `OtelEnvError` naming the variable. Call before the node starts, once per process.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const env = options.env ?? process.env;
  const off: Tracing = { tracer: trace.getTracer('quarry'), shutdown: async () => {} };
  if (!options.enabled) return off;
  const settings = readOtelTraceEnv(env);
  if (settings.disabled) return off;
  if (settings.logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), diagLogLevelFromString(settings.logLevel));
  const failures = new ExportFailureLog(traceEndpoint(env), options.logger);
  // The batch span processor hands a failed export to OpenTelemetry's one error handler (it logs nothing by default):
  // the process has one SDK, so taking the process-wide handler here is what it is for.
  setGlobalErrorHandler((err) => failures.failed(err, Date.now()));

  // A synchronous context manager, not AsyncLocalStorage: on Node 20 the first `context.with` of an AsyncLocalStorage
  // turns on async hooks for every promise of the process for good, sampled or not, and a node makes several per fix
  // (bench ops profiles: hooks on every fix at any ratio, 0 included). Quarry carries a trace across its own awaits and
  // queues explicitly instead: the mailbox (TracedMessage), an actor's sends and writes (Activation.traceCtx), a commit
  // batch, the edge's token check, replication after the local commit.
  const contextManager = new StackContextManager().enable();
  context.setGlobalContextManager(contextManager);
  if (settings.propagators.length > 0) {
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: settings.propagators.map(propagatorOf) }));
  }

  const spanProcessors: SpanProcessor[] = [];
  for (const name of settings.exporters) {
    spanProcessors.push(
      name === 'otlp'
        ? new BatchSpanProcessor({ exporter: await otlpExporter(settings.otlpProtocol), ...settings.batch })
        : new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }),
    );
  }
  // Later resources win a merge: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) override Quarry's names.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'quarry', 'service.instance.id': options.nodeId }))
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new CallerDecidedSampler(new TraceIdRatioBasedSampler(options.sampleRatio)) }),
    spanLimits: settings.spanLimits,
    spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer('quarry'),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`spans not exported within ${DEFAULT_TRACING_SHUTDOWN_MS} ms`)), DEFAULT_TRACING_SHUTDOWN_MS);
      });
      try {
        await Promise.race([provider.shutdown(), timeout]);
      } catch (err) {
        failures.atShutdown(err);
      } finally {
        clearTimeout(timer);
        contextManager.disable();
      }
    },
  };
}

/** The traces URL the OTLP exporter posts to, by the standard variables (for the log; the exporter reads them itself). */
export function traceEndpoint(env: NodeJS.ProcessEnv): string {
  const grpc = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL) === 'grpc';
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? (grpc ? 'http://localhost:4317' : 'http://localhost:4318');
  return grpc ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}
