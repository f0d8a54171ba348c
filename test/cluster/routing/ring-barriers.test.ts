import { strict as assert } from 'node:assert';
import { buildRing, ownerOf } from '../../../cluster/placement/ring.js';
import { MAX_HELD_MESSAGES, RingBarriers } from '../../../cluster/routing/ring-barriers.js';

/** A barrier per peer that the test settles by hand. */
function scripted() {
  const open = new Map<string, Array<{ resolve(): void; reject(e: Error): void }>>();
  const barriers = new RingBarriers('a', (peer) => new Promise<void>((resolve, reject) => open.set(peer, [...(open.get(peer) ?? []), { resolve, reject }])));
  /** Settles the oldest open barrier to `peer`. */
  const settle = async (peer: string, ok = true) => {
    const b = open.get(peer)!.shift()!;
    if (ok) b.resolve();
    else b.reject(new Error('unreachable'));
    await new Promise((r) => setImmediate(r));
  };
  return { barriers, open, settle };
}

const ab = buildRing(['a', 'b']);
const abc = buildRing(['a', 'b', 'c']);
const abcd = buildRing(['a', 'b', 'c', 'd']);
/** First key (kind `k`) whose owner is `from` in ring `x` and `to` in ring `y`. */
function keyMoving(x: typeof ab, from: string, y: typeof ab, to: string): string {
  for (let i = 0; ; i++) if (ownerOf(x, 'k', `key-${i}`) === from && ownerOf(y, 'k', `key-${i}`) === to) return `key-${i}`;
}

describe('cluster/routing: RingBarriers (per-sender FIFO across ring changes; scripted barriers)', () => {
  it('a ring change sends a barrier to each other live member of the old ring', () => {
    const { barriers, open } = scripted();
    barriers.ringChanged(abc, new Set(['a', 'b', 'c', 'd']));
    assert.deepEqual([...open.keys()].sort(), ['b', 'c']);
    assert.equal(barriers.active, true);
  });

  it('messages for a key that moved away from b wait for b, in order, and go on when b confirms', async () => {
    const { barriers, settle } = scripted();
    const key = keyMoving(ab, 'b', abc, 'c');
    barriers.ringChanged(ab, new Set(['a', 'b', 'c']));
    const sent: number[] = [];
    for (let n = 1; n <= 3; n++) assert.equal(barriers.hold('k', key, () => sent.push(n)), true);
    assert.deepEqual(sent, []);
    await settle('b');
    assert.deepEqual(sent, [1, 2, 3]);
    assert.equal(barriers.active, false);
    assert.equal(barriers.hold('k', key, () => undefined), false, 'no barrier left: sent at once by the caller');
  });

  it('a key this node owned in the old ring is not held (its claim drains the old activation here)', () => {
    const { barriers } = scripted();
    barriers.ringChanged(ab, new Set(['a', 'b', 'c']));
    assert.equal(barriers.hold('k', keyMoving(ab, 'a', abc, 'c'), () => undefined), false);
  });

  it('a failed barrier, or the peer leaving the live set, releases what it held', async () => {
    const { barriers, settle } = scripted();
    const key = keyMoving(ab, 'b', abc, 'c');
    barriers.ringChanged(ab, new Set(['a', 'b', 'c']));
    const sent: string[] = [];
    barriers.hold('k', key, () => sent.push('x'));
    await settle('b', false);
    assert.deepEqual(sent, ['x']);
    barriers.ringChanged(abc, new Set(['a', 'b', 'c', 'd']));
    barriers.hold('k', keyMoving(abc, 'c', abcd, 'd'), () => sent.push('y'));
    barriers.membersChanged(new Set(['a', 'b', 'd']));
    assert.deepEqual(sent, ['x', 'y']);
  });

  it('two ring changes in a row: a message released by the older barrier waits again for the newer one', async () => {
    const { barriers, settle } = scripted();
    let key = '';
    for (let i = 0; key === ''; i++) {
      const k = `key-${i}`;
      if (ownerOf(ab, 'k', k) === 'b' && ownerOf(abc, 'k', k) === 'c' && ownerOf(abcd, 'k', k) === 'd') key = k;
    }
    barriers.ringChanged(ab, new Set(['a', 'b', 'c']));
    barriers.ringChanged(abc, new Set(['a', 'b', 'c', 'd']));
    const sent: number[] = [];
    const send = (n: number) => (): void => {
      if (!barriers.hold('k', key, send(n))) sent.push(n);
    };
    send(1)();
    send(2)();
    await settle('b');
    assert.deepEqual(sent, [], 'b confirmed the older ring; c (its owner in the newer old ring) has not');
    await settle('c');
    assert.deepEqual(sent, [1, 2]);
  });

  it(`at most ${MAX_HELD_MESSAGES} messages wait; the next is refused with a retriable HandoffPendingError`, () => {
    const { barriers } = scripted();
    const key = keyMoving(ab, 'b', abc, 'c');
    barriers.ringChanged(ab, new Set(['a', 'b', 'c']));
    for (let i = 0; i < MAX_HELD_MESSAGES; i++) barriers.hold('k', key, () => undefined);
    assert.throws(() => barriers.hold('k', key, () => undefined), { name: 'HandoffPendingError' });
  });
});
