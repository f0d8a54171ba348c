import type { Metadata } from '@grpc/grpc-js';
import { isSpanContextValid, propagation, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { drawRoot } from '../actors/runtime/tracing.js';

/**
 * The edge decides whether a call is traced before it makes any span, so that an unsampled call costs nothing: no
 * span object, no trace id, no attributes, no context switch, nothing carried to the actors (bench ops,
 * `tracingOverheadPct.*`). A call with a valid `traceparent` follows its sampled flag, as ParentBased sampling would;
 * any other call is a new root, sampled with probability `sampleRatio`. Returns the context to start the call's span
 * in, or undefined when the call is not sampled. A new root's context carries SAMPLED_BY_CALLER, so the SDK's root
 * sampler (ops/telemetry/tracing.ts) records it rather than drawing a second time.
 */
export function sampledEdgeContext(metadata: Metadata, sampleRatio: number, random: () => number = Math.random): Context | undefined {
  const traceparent = metadata.get('traceparent')[0];
  if (typeof traceparent === 'string') {
    const carrier: Record<string, string> = { traceparent };
    const tracestate = metadata.get('tracestate')[0];
    if (typeof tracestate === 'string') carrier.tracestate = tracestate;
    const parent = propagation.extract(ROOT_CONTEXT, carrier);
    const sc = trace.getSpanContext(parent);
    if (sc !== undefined && isSpanContextValid(sc)) return (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? parent : undefined;
  }
  return drawRoot(sampleRatio, random);
}
