import { context, createContextKey, isSpanContextValid, ROOT_CONTEXT, trace, SpanKind, SpanStatusCode, TraceFlags, type Context, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Set on the context a new root span starts in when its caller has already decided to sample it (the edge and the
 * outbox relay do, before they make any span: drawRoot). The node's root sampler then records it instead of drawing
 * again (CallerDecidedSampler in ops/telemetry/tracing.ts).
 */
export const SAMPLED_BY_CALLER = createContextKey('quarry.sampled-by-caller');

/**
 * Draws whether a new root trace is sampled, before any span exists: the context to start its root span in, or
 * undefined when it is not sampled (then make no span at all).
 */
export function drawRoot(sampleRatio: number, random: () => number = Math.random): Context | undefined {
  return random() < sampleRatio ? ROOT_CONTEXT.setValue(SAMPLED_BY_CALLER, true) : undefined;
}

/**
 * A message sent while a trace was active: the mailbox carries the sender's context so the handler's span (and
 * every send the handler makes) joins the same trace, although handling happens later, in another macrotask.
 * Messages are wrapped only when the host has a tracer and the sender is inside a span, so untraced traffic
 * pays one branch per message.
 */
export class TracedMessage {
  constructor(
    readonly msg: unknown,
    readonly parent: Context,
    readonly enqueuedAtMs: number,
  ) {}
}

/** Wraps `msg` when the caller is inside a recording span; otherwise returns it unchanged. */
export function wrapIfTraced(msg: unknown, nowMs: number): unknown {
  if (msg instanceof TracedMessage) return msg;
  const parent = context.active();
  const span = trace.getSpan(parent);
  return span !== undefined && span.isRecording() ? new TracedMessage(msg, parent, nowMs) : msg;
}

/** Starts `actor <kind>` for one message; the time it waited in the mailbox is an attribute. */
export function startHandleSpan(tracer: Tracer, traced: TracedMessage, kind: string, key: string, nowMs: number): { span: Span; ctx: Context } {
  const span = tracer.startSpan(
    `actor ${kind}`,
    { kind: SpanKind.INTERNAL, attributes: { 'quarry.actor.kind': kind, 'quarry.actor.key': key, 'quarry.mailbox_wait_ms': nowMs - traced.enqueuedAtMs } },
    traced.parent,
  );
  return { span, ctx: trace.setSpan(traced.parent, span) };
}

export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/** Ends the span of the message `actor` has handled; its later sends and writes are no longer part of that trace. */
export function endTracedMessage(actor: { traceCtx: Context | undefined }, span: Span, err?: unknown): void {
  actor.traceCtx = undefined;
  endSpan(span, err);
}

export { context };

/**
 * `parent` when it holds a sampled span, else undefined: checked before a child span's attributes are built, so
 * unsampled work builds none. Sampled, not "recording": the parent (a handler's span) may have ended before the batch
 * it wrote commits.
 */
export function sampledParent(parent: Context = context.active()): Context | undefined {
  const sc = trace.getSpan(parent)?.spanContext();
  return sc !== undefined && isSpanContextValid(sc) && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? parent : undefined;
}

/** A child span of `parent` (a sampledParent: activation, commit). */
export function startChildSpan(tracer: Tracer, name: string, attributes: Record<string, string | number>, parent: Context): { span: Span; ctx: Context } {
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}
