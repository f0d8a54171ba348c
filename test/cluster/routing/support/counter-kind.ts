import { defineKind } from '../../../../actors/runtime/types.js';

/** `delayMs` keeps the actor busy after persisting, so tests can hold messages in its mailbox during a handoff. */
export type CounterMsg = { op: 'inc'; delayMs?: number } | { op: 'get' };
export interface CounterReply {
  count: number;
  /** Unique per activation (node id + a per-process sequence), so tests can count activations per key. */
  activation: string;
  node: string;
}

/** A counter that journals each increment and answers with its count and the id of the activation that handled it. */
export function counterKind(nodeId: string) {
  const activationIds = new WeakMap<object, string>();
  let next = 0;
  return defineKind<{ count: number }, CounterMsg, CounterReply, { by: number }>({
    name: 'counter',
    initialState: () => ({ count: 0 }),
    apply: (state, event) => ({ count: state.count + event.by }),
    handle(msg, ctx) {
      let activation = activationIds.get(ctx);
      if (activation === undefined) activationIds.set(ctx, (activation = `${nodeId}#${++next}`));
      if (msg.op === 'inc') ctx.persist({ by: 1 });
      const reply = { count: ctx.state.count, activation, node: nodeId };
      if (msg.op === 'inc' && msg.delayMs !== undefined) return new Promise<CounterReply>((resolve) => setTimeout(() => resolve(reply), msg.delayMs));
      return reply;
    },
  });
}
