import { context, propagation, type Context } from '@opentelemetry/api';

/** Writes the active trace context (W3C traceparent/tracestate) into a plain map, e.g. an actor envelope. */
export function injectTrace(carrier: Record<string, string> = {}, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Reads a trace context written by `injectTrace` (or gRPC metadata flattened to strings). */
export function extractTrace(carrier: Record<string, string>): Context {
  return propagation.extract(context.active(), carrier);
}
