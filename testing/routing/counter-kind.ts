import { defineKind } from '../../actors/runtime/types.js';

/** `delayMs` keeps the actor busy after persisting, so tests can hold messages in its mailbox during a handoff. */
export type CounterMsg = { op: 'inc'; delayMs?: number } | { op: 'get' };
export interface CounterReply {
  count: number;
  /** Unique per activation (node id + a per-process sequence), so tests can count activations per key. */
  activation: string;
  node: string;
  /** Increments this activation's session has seen (the session moves with the actor in a handoff). */
  sessionIncs: number;
}

/** Session idle TTL of the counter kind, in ms: long enough that no test sees it expire. */
export const COUNTER_SESSION_TTL_MS = 600_000;

/** A counter that journals each increment and answers with its count and the id of the activation that handled it. */
export function counterKind(nodeId: string) {
  const activationIds = new WeakMap<object, string>();
  let next = 0;
  return defineKind<{ count: number }, CounterMsg, CounterReply, { by: number }, { incs: number }>({
    name: 'counter',
    initialState: () => ({ count: 0 }),
    session: { ttlMs: COUNTER_SESSION_TTL_MS, initial: () => ({ incs: 0 }) },
    apply: (state, event) => ({ count: state.count + event.by }),
    handle(msg, ctx) {
      let activation = activationIds.get(ctx);
      if (activation === undefined) activationIds.set(ctx, (activation = `${nodeId}#${++next}`));
      if (msg.op === 'inc') {
        ctx.persist({ by: 1 });
        ctx.session = { incs: ctx.session.incs + 1 };
      }
      const reply = { count: ctx.state.count, activation, node: nodeId, sessionIncs: ctx.session.incs };
      if (msg.op === 'inc' && msg.delayMs !== undefined) return new Promise<CounterReply>((resolve) => setTimeout(() => resolve(reply), msg.delayMs));
      return reply;
    },
  });
}
