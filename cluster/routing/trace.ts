import { context, propagation, trace, SpanKind, type Context, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('quarry.cluster');

/**
 * A routing hop to another node: when the sender is inside a recording span, a CLIENT span for the hop is started
 * and its W3C context written into the envelope's `trace` map. Untraced sends get no span and an empty map.
 */
export function startHopSpan(kind: string, to: string, carrier: Record<string, string>): Span | undefined {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return undefined;
  const span = tracer.startSpan(`route ${kind}`, { kind: SpanKind.CLIENT, attributes: { 'quarry.actor.kind': kind, 'quarry.peer': to } }, parent);
  propagation.inject(trace.setSpan(parent, span), carrier);
  return span;
}

/** The receiving side of a hop: a SERVER span continuing the sender's trace, for the local delivery to run in. */
export function continueTrace(carrier: Record<string, string>, kind: string): { span: Span; ctx: Context } | undefined {
  if (carrier.traceparent === undefined) return undefined;
  const parent = propagation.extract(context.active(), carrier);
  const span = tracer.startSpan(`deliver ${kind}`, { kind: SpanKind.SERVER, attributes: { 'quarry.actor.kind': kind } }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}
