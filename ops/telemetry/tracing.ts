import { trace, type Tracer } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Logger } from '../../actors/runtime/types.js';
import { ExportFailureLog } from './export-failures.js';

export interface TracingOptions {
  /** Off by default (`ops.tracingEnabled`); when off, spans are no-ops and nothing is exported. */
  enabled: boolean;
  /** Fraction of new root traces sampled (`ops.tracingSampleRatio`); a sampled parent is always honoured. */
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
  const failures = new ExportFailureLog(traceEndpoint(options.env ?? process.env), options.logger);
  // The batch span processor hands a failed export to OpenTelemetry's one error handler (it logs nothing by default):
  // the process has one SDK, so taking the process-wide handler here is what it is for.
  setGlobalErrorHandler((err) => failures.failed(err, Date.now()));
  const sdk = new NodeSDK({
    serviceName: 'quarry',
    resource: resourceFromAttributes({ 'service.instance.id': options.nodeId }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
    instrumentations: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer('quarry'),
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`spans not exported within ${DEFAULT_TRACING_SHUTDOWN_MS} ms`)), DEFAULT_TRACING_SHUTDOWN_MS);
      });
      try {
        await Promise.race([sdk.shutdown(), timeout]);
      } catch (err) {
        failures.atShutdown(err);
      } finally {
        clearTimeout(timer);
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
