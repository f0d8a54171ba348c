/**
 * Readings of a host's activations for the inspector and `/metrics`: they only read, activate nothing and cost the
 * message path nothing (the counters they read are kept by the scheduler and KindStats).
 */
import type { KindRuntime } from './activation.js';
import type { KindMetrics } from './kind-stats.js';
import type { ActorInspection, ActorMetrics, ActorRef } from './types.js';

/** Active actors (in memory). */
export function activeActors(kinds: ReadonlyMap<string, KindRuntime>): ActorRef[] {
  const out: ActorRef[] = [];
  for (const rt of kinds.values()) for (const key of rt.actors.keys()) out.push({ kind: rt.name, key });
  return out;
}

/** Per kind: active actors, queued messages, messages handled and handler and ask latency. */
export function kindMetrics(kinds: ReadonlyMap<string, KindRuntime>): KindMetrics[] {
  const out: KindMetrics[] = [];
  for (const rt of kinds.values()) {
    let mailboxDepth = 0;
    for (const a of rt.actors.values()) mailboxDepth += a.mailboxDepth;
    const { stats } = rt;
    out.push({ kind: rt.name, activeActors: rt.actors.size, mailboxDepth, messagesHandled: stats.messagesHandled, handlerSeconds: stats.handlerSeconds.snapshot(), askSeconds: stats.askSeconds.snapshot() });
  }
  return out;
}

/** One active actor's counters; undefined when it is not in memory. */
export function actorMetrics(kinds: ReadonlyMap<string, KindRuntime>, ref: ActorRef<any, any>): ActorMetrics | undefined {
  const a = kinds.get(ref.kind)?.actors.get(ref.key);
  if (a === undefined) return undefined;
  return {
    kind: a.kind,
    key: a.key,
    mailboxDepth: a.mailboxDepth,
    messagesHandled: a.messagesHandled,
    lastActivityMs: a.lastActivityMs,
    passivationDueMs: a.lastActivityMs + a.rt.passivationIdleMs,
    activationCount: a.activationCount,
    seq: a.seq,
    snapshotSeq: a.snapshotSeq,
    busy: a.busy,
  };
}

/** Metrics, state and session of an active actor; undefined when it is not in memory. */
export function inspectActor(kinds: ReadonlyMap<string, KindRuntime>, ref: ActorRef<any, any>): ActorInspection | undefined {
  const metrics = actorMetrics(kinds, ref);
  if (metrics === undefined) return undefined;
  const a = kinds.get(ref.kind)!.actors.get(ref.key)!;
  return { metrics, state: a.state, session: a.session };
}
