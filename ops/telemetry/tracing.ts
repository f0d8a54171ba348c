import { context, diag, DiagConsoleLogger, propagation, trace, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { readOtelTraceEnv, type OtlpProtocol, type PropagatorName } from './otel-env.js';

export interface TracingOptions {
  /** Off by default (`ops.tracingEnabled`); when off, spans are no-ops and nothing is exported. */
  enabled: boolean;
  /** Fraction of new root traces sampled (`ops.tracingSampleRatio`); a sampled parent is always honoured. */
  sampleRatio: number;
  nodeId: string;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Flushes pending spans and stops the exporter. */
  shutdown(): Promise<void>;
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
export async function startTracing(options: TracingOptions, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  const off: Tracing = { tracer: trace.getTracer('quarry'), shutdown: async () => {} };
  if (!options.enabled) return off;
  const settings = readOtelTraceEnv(env);
  if (settings.disabled) return off;
  if (settings.logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), diagLogLevelFromString(settings.logLevel));

  const contextManager = new AsyncLocalStorageContextManager().enable();
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
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    spanLimits: settings.spanLimits,
    spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer('quarry'),
    shutdown: async () => {
      await provider.shutdown();
      contextManager.disable();
    },
  };
}
