import type { ActorRef, ActorSystem } from '../../actors/runtime/types.js';
import type { CounterMsg, CounterReply } from './counter-kind.js';

export interface LoadSpec {
  /** Keys `${prefix}${i}` for i in [0, keys). */
  readonly prefix: string;
  readonly keys: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly op: 'inc' | 'get';
  /** Only keys this owner-predicate selects: 'local' (owned here), 'remote' (owned elsewhere) or 'any'. */
  readonly where?: 'local' | 'remote' | 'any';
}

export interface LoadResult {
  readonly done: number;
  readonly errors: number;
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The five slowest asks: key, latency and start (ms since the load began), for finding stalls. */
  readonly slowest?: ReadonlyArray<{ readonly key: string; readonly ms: number; readonly atMs: number }>;
}

/** Closed-loop asks from inside a node (no parent-process hop in the measurement). */
export async function runLoad(
  router: ActorSystem & { ownerOf(kind: string, key: string): string; readonly nodeId: string },
  ref: (key: string) => ActorRef<CounterMsg, CounterReply>,
  spec: LoadSpec,
): Promise<LoadResult> {
  const keys: string[] = [];
  for (let i = 0; i < spec.keys; i++) {
    const key = `${spec.prefix}${i}`;
    const local = router.ownerOf('counter', key) === router.nodeId;
    if (spec.where === undefined || spec.where === 'any' || (spec.where === 'local') === local) keys.push(key);
  }
  if (keys.length === 0) return { done: 0, errors: 0, perSec: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
  const latencies: number[] = [];
  let slowest: Array<{ key: string; ms: number; atMs: number }> = [];
  let errors = 0;
  const start = performance.now();
  const end = start + spec.durationMs;
  const msg: CounterMsg = { op: spec.op };
  let k = 0;
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < end) {
        const key = keys[k++ % keys.length]!;
        const t0 = performance.now();
        try {
          await router.ask(ref(key), msg, { timeoutMs: 5000 });
          const ms = performance.now() - t0;
          latencies.push(ms);
          if (slowest.length < 5 || ms > slowest[4]!.ms) slowest = [...slowest, { key, ms: Math.round(ms), atMs: Math.round(t0 - start) }].sort((a, b) => b.ms - a.ms).slice(0, 5);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!);
  return { done: latencies.length, errors, perSec: (latencies.length * 1000) / elapsedMs, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: latencies[latencies.length - 1] ?? 0, slowest };
}
