import { trace, type Tracer } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';

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

/**
 * Starts OpenTelemetry for this process. The exporter, its endpoint and protocol come from the standard
 * variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` = http/protobuf | http/json | grpc,
 * `OTEL_TRACES_EXPORTER`), as every OpenTelemetry user expects. No auto-instrumentation is loaded: Quarry
 * makes its own spans (edge call, routing hop, mailbox wait, handler, activation, commit, publish), so the
 * exporter's own HTTP traffic is never traced. Call before the node starts, once per process.
 */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.enabled) {
    return { tracer: trace.getTracer('quarry'), shutdown: async () => {} };
  }
  const sdk = new NodeSDK({
    serviceName: 'quarry',
    resource: resourceFromAttributes({ 'service.instance.id': options.nodeId }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    instrumentations: [],
  });
  sdk.start();
  return { tracer: trace.getTracer('quarry'), shutdown: () => sdk.shutdown() };
}
