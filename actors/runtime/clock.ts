import type { Clock } from './types.js';

/** Wall-clock time and Node timers. Timers are unref'd: a host's tick must not keep a process alive on its own. */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    setInterval: (fn, ms) => setInterval(fn, ms).unref(),
    clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
  };
}

/** The part of a `@sinonjs/fake-timers` clock (`FakeTimers.createClock()`) the runtime needs. */
export interface FakeTimerClock {
  now: number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * Adapts a fake-timers clock without touching globals, so mocha and LMDB keep real timers:
 * `const fake = FakeTimers.createClock(0); const host = new ActorHost({ clock: fakeClock(fake), ... }); fake.tick(60_000)`.
 */
export function fakeClock(fake: FakeTimerClock): Clock {
  return {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle),
    setInterval: (fn, ms) => fake.setInterval(fn, ms),
    clearInterval: (handle) => fake.clearInterval(handle),
  };
}
