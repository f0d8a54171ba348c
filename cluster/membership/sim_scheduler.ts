import type { Clock, TimerHandle } from './clock.js';

/** Event phases at one instant, in Node's loop order: expired timers, then I/O, then `setImmediate`. */
export type Phase = 0 | 1 | 2;

interface Event {
  time: number;
  phase: Phase;
  seq: number;
  owner: string;
  fn: () => void;
  cancelled: boolean;
}

/** Deterministic PRNG (mulberry32): same seed, same simulation. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Simulated time for many nodes in one process. Each event belongs to a node ("owner"): a stalled node's
 * events wait until the stall ends (then run timers first, like a blocked Node.js loop), a crashed node's never
 * run. Nothing waits for real time, so an hour of a 50-node cluster takes seconds.
 */
export class SimScheduler {
  private heap: Event[] = [];
  private seq = 0;
  private nowMs: number;
  private readonly busyUntil = new Map<string, number>();
  private readonly crashed = new Set<string>();
  readonly random: () => number;

  constructor(seed: number, startMs = 1_700_000_000_000) {
    this.random = seededRandom(seed);
    this.nowMs = startMs;
  }

  get now(): number {
    return this.nowMs;
  }

  clockFor(owner: string): Clock {
    return {
      now: () => this.nowMs,
      setTimeout: (fn, ms) => this.at(this.nowMs + Math.max(0, ms), 0, owner, fn),
      clearTimeout: (h) => void ((h as Event).cancelled = true),
      defer: (fn) => void this.at(this.nowMs, 2, owner, fn),
    };
  }

  at(time: number, phase: Phase, owner: string, fn: () => void): TimerHandle {
    const ev: Event = { time, phase, seq: this.seq++, owner, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  /** The owner's event loop is blocked for `ms` from now. */
  stall(owner: string, ms: number): void {
    this.busyUntil.set(owner, Math.max(this.busyUntil.get(owner) ?? 0, this.nowMs + ms));
  }

  crash(owner: string): void {
    this.crashed.add(owner);
  }

  isCrashed(owner: string): boolean {
    return this.crashed.has(owner);
  }

  /** Runs events until simulated time reaches `untilMs`. */
  runUntil(untilMs: number): void {
    while (this.heap.length > 0 && this.heap[0]!.time <= untilMs) this.step();
    this.nowMs = Math.max(this.nowMs, untilMs);
  }

  runFor(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** Runs until `done()` holds (checked every `checkEveryMs`); returns the simulated ms it took, or undefined at `maxMs`. */
  runUntilTrue(done: () => boolean, maxMs: number, checkEveryMs = 10): number | undefined {
    const start = this.nowMs;
    while (this.nowMs - start < maxMs) {
      if (done()) return this.nowMs - start;
      this.runFor(checkEveryMs);
    }
    return done() ? this.nowMs - start : undefined;
  }

  private step(): void {
    const ev = this.pop()!;
    if (ev.cancelled || this.crashed.has(ev.owner)) return;
    const busy = this.busyUntil.get(ev.owner);
    if (busy !== undefined && busy > ev.time) {
      this.push({ ...ev, time: busy, seq: this.seq++ });
      return;
    }
    this.nowMs = Math.max(this.nowMs, ev.time);
    ev.fn();
  }

  private less(a: Event, b: Event): boolean {
    return a.time !== b.time ? a.time < b.time : a.phase !== b.phase ? a.phase < b.phase : a.seq < b.seq;
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
