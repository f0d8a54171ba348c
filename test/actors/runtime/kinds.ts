import { defineKind } from '../../../actors/runtime/types.js';

export type CounterMsg =
  | { type: 'inc'; by: number }
  | { type: 'get' }
  | { type: 'boom' }
  | { type: 'asyncBoom' }
  | { type: 'emit'; channel: string }
  | { type: 'hits' };

/** A persisted counter with a session part (hits since the session began) and an audit entry per increment. */
export const counter = defineKind<{ n: number }, CounterMsg, number, { by: number }, { hits: number }>({
  name: 'counter',
  initialState: () => ({ n: 0 }),
  apply: (state, event) => {
    state.n += event.by;
    return state;
  },
  session: { ttlMs: 30 * 60_000, initial: () => ({ hits: 0 }) },
  handle(msg, ctx) {
    ctx.session.hits++;
    switch (msg.type) {
      case 'inc':
        ctx.persist({ by: msg.by });
        ctx.audit({ by: msg.by });
        return ctx.state.n;
      case 'get':
        return ctx.state.n;
      case 'hits':
        return ctx.session.hits;
      case 'boom':
        throw new Error('boom');
      case 'asyncBoom':
        return Promise.reject(new Error('async boom'));
      case 'emit':
        ctx.persist({ by: 1 });
        ctx.emit(msg.channel, { n: ctx.state.n });
        return ctx.state.n;
    }
  },
});

export type RecorderMsg = { sender: string; i: number } | { type: 'report' };

/** Records, per sender, whether messages arrived in the order sent. */
export const recorder = defineKind<{ next: Record<string, number>; outOfOrder: number }, RecorderMsg, { next: Record<string, number>; outOfOrder: number }>({
  name: 'recorder',
  initialState: () => ({ next: {}, outOfOrder: 0 }),
  handle(msg, ctx) {
    if ('sender' in msg) {
      const expected = ctx.state.next[msg.sender] ?? 0;
      if (msg.i !== expected) ctx.state.outOfOrder++;
      ctx.state.next[msg.sender] = msg.i + 1;
    }
    return ctx.state;
  },
});

/** Tells the recorder `n` numbered messages in order from inside its own handler. */
export const sender = defineKind<null, { n: number; target: string }, number>({
  name: 'sender',
  initialState: () => null,
  handle(msg, ctx) {
    const target = { kind: recorder.name, key: msg.target };
    for (let i = 0; i < msg.n; i++) ctx.tell<RecorderMsg>(target, { sender: `${ctx.self.key}`, i });
    return msg.n;
  },
});
