import { defineKind } from '../../actors/runtime/types.js';

/** Numbered tells from named senders, for per-sender FIFO checks. */
export type SequenceMsg = { op: 'next'; from: string; n: number } | { op: 'get' };
export interface SequenceState {
  /** Highest number seen per sender. */
  last: Record<string, number>;
  received: number;
  /** Messages that arrived after a higher number from the same sender (FIFO broken), as `from:n after m`. */
  reorders: string[];
}

/** Journals every numbered tell; `get` answers the state. Nothing else. */
export const sequenceKind = defineKind<SequenceState, SequenceMsg, SequenceState, { from: string; n: number }>({
  name: 'sequence',
  initialState: () => ({ last: {}, received: 0, reorders: [] }),
  apply: (s, e) => {
    const last = s.last[e.from] ?? 0;
    const reorders = e.n < last ? [...s.reorders, `${e.from}:${e.n} after ${last}`] : s.reorders;
    return { last: { ...s.last, [e.from]: Math.max(last, e.n) }, received: s.received + 1, reorders };
  },
  handle(msg, ctx) {
    if (msg.op === 'next') ctx.persist({ from: msg.from, n: msg.n });
    return ctx.state;
  },
});
