import assert from 'node:assert/strict';
import { PassivationWheel } from '../../../actors/runtime/passivation-wheel.js';
import { RunQueue } from '../../../actors/runtime/run-queue.js';
import { resolveHostOptions, validateKind, DEFAULT_MAILBOX_CAPACITY } from '../../../actors/runtime/options.js';
import { InvalidRuntimeOptionError } from '../../../actors/runtime/errors.js';
import type { SnapshotStore } from '../../../actors/store/snapshot-store.js';

describe('passivation wheel', () => {
  const cases: Array<[string, number, number, number]> = [
    // what, tickMs, dueMs, slot (wheel created at t=10_000, so slot 10 is already collected)
    ['due on a tick boundary', 1_000, 15_000, 15],
    ['due between ticks rounds up', 1_000, 15_001, 16],
    ['due in the past goes to the next slot', 1_000, 3_000, 11],
    ['coarser tick', 5_000, 17_000, 4],
  ];
  for (const [what, tickMs, dueMs, slot] of cases) {
    it(`slotFor: ${what}`, () => assert.equal(new PassivationWheel(tickMs, 10_000).slotFor(dueMs), slot));
  }

  it('collects only items whose slot has come, once, also after a long clock jump', () => {
    const wheel = new PassivationWheel<{ wheelSlot: number; id: string }>(1_000, 0);
    const a = { wheelSlot: -1, id: 'a' };
    const b = { wheelSlot: -1, id: 'b' };
    const c = { wheelSlot: -1, id: 'c' };
    wheel.add(a, 2_000);
    wheel.add(b, 2_500);
    wheel.add(c, 90_000_000);
    assert.deepEqual(wheel.collect(2_999).map((x) => x.id), ['a']);
    assert.equal(a.wheelSlot, -1);
    assert.deepEqual(wheel.collect(3_000).map((x) => x.id), ['b']);
    assert.deepEqual(wheel.collect(3_500), []);
    assert.deepEqual(wheel.collect(100_000_000).map((x) => x.id), ['c']);
    assert.equal(wheel.size, 0);
  });
});

describe('host options', () => {
  const store = {} as SnapshotStore;
  it('fills defaults', () => assert.equal(resolveHostOptions({ store }).mailboxCapacity, DEFAULT_MAILBOX_CAPACITY));
  const bad: Array<[string, object, string]> = [
    ['zero capacity', { mailboxCapacity: 0 }, 'runtime.mailboxCapacity: must be a positive integer, got 0'],
    ['fractional idle', { passivationIdleMs: 1.5 }, 'runtime.passivationIdleMs: must be a positive integer, got 1.5'],
    ['negative sweep', { ttlSweepIntervalMs: -1 }, 'store.ttlSweepIntervalMs: must be a positive integer, got -1'],
  ];
  for (const [what, opts, message] of bad) {
    it(`rejects ${what} naming the key`, () => {
      assert.throws(() => resolveHostOptions({ store, ...opts }), (e: unknown) => e instanceof InvalidRuntimeOptionError && e.message === message);
    });
  }
  it('validates per-kind overrides naming the kind', () => {
    assert.throws(
      () => validateKind({ name: 'player', passivationIdleMs: 0, initialState: () => null, handle: () => null }),
      /kind player\.passivationIdleMs: must be a positive integer, got 0/,
    );
  });
});

describe('run queue', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const q = new RunQueue<number>();
    const out: number[] = [];
    for (let i = 0; i < 1_000; i++) q.push(i);
    for (let i = 0; i < 600; i++) out.push(q.shift()!);
    for (let i = 1_000; i < 3_000; i++) q.push(i); // wraps, then grows past 1024
    assert.equal(q.size, 2_400);
    for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
    assert.deepEqual(out, Array.from({ length: 3_000 }, (_, i) => i));
    assert.equal(q.size, 0);
  });
});
