/**
 * `quarry bench runtime`: Quarry's actor host against nact on the same workloads, in one run. Heap figures and the
 * restart figure run in child processes (this file with a mode argument) so the measurement is clean and cold.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { ActorHost } from '../../actors/runtime/host.js';
import { defineKind } from '../../actors/runtime/types.js';
import { memoryLogger } from '../../actors/runtime/logger.js';
import { openLmdbStore, type LmdbSnapshotStore } from '../../actors/store/lmdb-store.js';
import { encodeSnapshot } from '../../actors/store/snapshot-codec.js';
import type { StoreOp } from '../../actors/store/snapshot-store.js';
import type { BenchOptions, BenchResult } from './harness.js';

const SELF = fileURLToPath(import.meta.url);

/** nact is a dev dependency (only this suite runs it), so an install with `--omit=dev` lacks it. */
export class BaselineMissingError extends Error {
  override name = 'BaselineMissingError';
}

type Nact = typeof import('nact');

/** Loaded on first use, so every other suite and the rest of the CLI run without nact installed. */
async function loadNact(): Promise<Nact> {
  try {
    return await import('nact');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new BaselineMissingError('quarry bench runtime compares against nact, a dev dependency that is not installed: run `npm install` (without --omit=dev) in the Quarry checkout', { cause: err });
  }
}
const MESSAGES = 1_000_000;
/** Quarry and nact alternate this many times per workload; the best of each counts (the machine is shared and noisy). */
const ROUNDS = 2;
const CHUNK = 10_000; // = the default mailboxCapacity, so one actor never overflows
const MANY = 10_000;
const HEAP_ACTORS = 100_000;
const RESTART_SNAPSHOTS = 1_000_000;
const TARGETS = { ratio: 10, heapBytes: 600, p99Ms: 1, restartMs: 200, ackedPerSec: 20_000 };

let handled = 0;
/** The same work as the nact actor below: add the message to a number in the actor's state. */
const adder = defineKind<{ n: number }, number, void>({
  name: 'adder',
  initialState: () => ({ n: 0 }),
  handle(msg, ctx) {
    ctx.state.n += msg;
    handled++;
  },
});
const ledger = defineKind<{ n: number }, number, number, number>({
  name: 'ledger',
  initialState: () => ({ n: 0 }),
  apply: (s, by) => ((s.n += by), s),
  /** 0 reads without writing (activation figures), anything else is journaled before the reply. */
  handle(msg, ctx) {
    if (msg !== 0) ctx.persist(msg);
    return ctx.state.n;
  },
});

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
async function until(done: () => boolean): Promise<void> {
  while (!done()) await tick();
}

function tempStore(prefix: string): { store: LmdbSnapshotStore; path: string; remove(): Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), `quarry-bench-${prefix}-`));
  const store = openLmdbStore({ path, mapSizeMb: 4_096 });
  return { store, path, remove: async () => (await store.close(), rmSync(path, { recursive: true, force: true })) };
}

async function quarryMsgsPerSec(actors: number): Promise<number> {
  const t = tempStore('msgs');
  const host = new ActorHost({ store: t.store, logger: memoryLogger() });
  const refs = Array.from({ length: actors }, (_, i) => host.ref(adder, `a${i}`));
  const round = async (count: number) => {
    const target = handled + count;
    for (let sent = 0; sent < count; ) {
      const n = Math.min(CHUNK, count - sent);
      for (let i = 0; i < n; i++) host.tell(refs[(sent + i) % actors]!, 1);
      sent += n;
      const mark = target - (count - sent);
      await until(() => handled >= mark);
    }
  };
  await round(Math.max(actors, CHUNK)); // warm-up, activations included
  const t0 = performance.now();
  await round(MESSAGES);
  const ms = performance.now() - t0;
  await host.close();
  await t.remove();
  return Math.round(MESSAGES / (ms / 1000));
}

async function nactMsgsPerSec(actors: number): Promise<number> {
  const nact = await loadNact();
  const system = nact.start();
  let count = 0;
  const refs = Array.from({ length: actors }, (_, i) =>
    nact.spawn(system, (state: number, msg: number) => ((count++), state + msg), `a${i}`, { initialState: 0 }),
  );
  const round = async (total: number) => {
    const target = count + total;
    for (let sent = 0; sent < total; ) {
      const n = Math.min(CHUNK, total - sent);
      for (let i = 0; i < n; i++) nact.dispatch(refs[(sent + i) % actors]!, 1);
      sent += n;
      const mark = target - (total - sent);
      await until(() => count >= mark);
    }
  };
  await round(Math.max(actors, CHUNK));
  const t0 = performance.now();
  await round(MESSAGES);
  const ms = performance.now() - t0;
  nact.stop(system);
  return Math.round(MESSAGES / (ms / 1000));
}

/** Builds `count` snapshots of `kind` straight through the store (the host would write the same records). */
async function writeSnapshots(store: LmdbSnapshotStore, kind: string, count: number): Promise<void> {
  const batch = 50_000;
  for (let start = 0; start < count; start += batch) {
    const ops: StoreOp[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const bytes = encodeSnapshot({ state: { n: i }, seq: 1, schemaVersion: 1, activationCount: 1 });
      ops.push({ t: 'snapshot', kind, key: `a${i}`, bytes, seq: 1, pruneAfterSeq: 1 });
    }
    await store.commit(ops);
  }
}

async function activations(): Promise<{ perSec: number; p99Ms: number }> {
  const t = tempStore('act');
  const sequential = 5_000;
  const concurrent = 20_000;
  await writeSnapshots(t.store, 'ledger', sequential + concurrent);
  const host = new ActorHost({ store: t.store, logger: memoryLogger() });
  host.register(ledger);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  // Latency: one activation at a time, from the send to the reply (its first message served).
  for (let i = 0; i < sequential; i++) {
    const t0 = performance.now();
    await host.ask({ kind: 'ledger', key: `a${i}` }, 0);
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
  }
  const p99Ms = histogram.getValueAtPercentile(99) / 1000;
  histogram.destroy();
  // Throughput: windows of 1,000 concurrent first messages.
  const t0 = performance.now();
  for (let start = sequential; start < sequential + concurrent; start += 1_000) {
    const asks: Promise<number>[] = [];
    for (let i = start; i < start + 1_000; i++) asks.push(host.ask({ kind: 'ledger', key: `a${i}` }, 0));
    await Promise.all(asks);
  }
  const perSec = Math.round(concurrent / ((performance.now() - t0) / 1000));
  await host.close();
  await t.remove();
  return { perSec, p99Ms };
}

async function ackedWritesPerSec(): Promise<number> {
  const t = tempStore('acked');
  const host = new ActorHost({ store: t.store, logger: memoryLogger() });
  const refs = Array.from({ length: 1_000 }, (_, i) => host.ref(ledger, `l${i}`));
  const total = 200_000;
  const inFlight = 4_000;
  let issued = 0;
  const worker = async () => {
    while (issued < total) await host.ask(refs[issued++ % refs.length]!, 1);
  };
  await Promise.all(refs.map((r) => host.ask(r, 0))); // activations (reads only) out of the timing
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const perSec = Math.round(total / ((performance.now() - t0) / 1000));
  await host.close();
  await t.remove();
  return perSec;
}

/** Runs this file as a child: `node --expose-gc runtime.js <mode> [args]`; the child prints one JSON line. */
function child(args: string[], nodeFlags: string[] = []): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeFlags, SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0) resolve(JSON.parse(last) as Record<string, number>);
      else reject(new Error(`bench child ${args[0]} exited with ${code}: ${out}`));
    });
  });
}

async function heapChild(which: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const used = () => (gc(), gc(), process.memoryUsage().heapUsed);
  if (which === 'quarry') {
    const t = tempStore('heap');
    const host = new ActorHost({ store: t.store, logger: memoryLogger() });
    host.register(adder);
    const refs = Array.from({ length: HEAP_ACTORS }, (_, i) => ({ kind: 'adder', key: `a${i}` }));
    await tick();
    const before = used();
    for (const ref of refs) host.tell(ref, 1);
    await until(() => handled >= HEAP_ACTORS);
    await tick();
    const bytes = (used() - before) / HEAP_ACTORS;
    console.log(JSON.stringify({ bytes, active: host.activeActorCount }));
    await host.close();
    await t.remove();
  } else {
    const nact = await loadNact();
    const system = nact.start();
    let count = 0;
    const names = Array.from({ length: HEAP_ACTORS }, (_, i) => `a${i}`);
    await tick();
    const before = used();
    const refs = names.map((name) => nact.spawn(system, (state: number, msg: number) => ((count++), state + msg), name, { initialState: 0 }));
    for (const ref of refs) nact.dispatch(ref, 1);
    await until(() => count >= HEAP_ACTORS);
    await tick();
    const bytes = (used() - before) / HEAP_ACTORS;
    console.log(JSON.stringify({ bytes, active: refs.length }));
    nact.stop(system);
  }
}

async function restartChild(path: string): Promise<void> {
  const t0 = performance.now();
  const store = openLmdbStore({ path, mapSizeMb: 4_096 });
  const host = new ActorHost({ store, logger: memoryLogger() });
  const n = await host.ask(host.ref(ledger, `a${RESTART_SNAPSHOTS - 7}`), 0);
  const ms = performance.now() - t0;
  if (n !== RESTART_SNAPSHOTS - 7) throw new Error(`restart served ${n}, expected ${RESTART_SNAPSHOTS - 7}`);
  console.log(JSON.stringify({ ms }));
  await host.close();
  await store.close();
}

async function restartReadyMs(): Promise<number> {
  const t = tempStore('restart');
  await writeSnapshots(t.store, 'ledger', RESTART_SNAPSHOTS);
  await t.store.close();
  try {
    return (await child(['restart', t.path])).ms!;
  } finally {
    await t.remove();
  }
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  await loadNact(); // fail before minutes of Quarry rounds, not after them
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  for (const [variant, actors] of [['1actor', 1], ['10kActors', MANY]] as const) {
    let quarry = 0;
    let baseline = 0;
    for (let r = 0; r < ROUNDS; r++) {
      quarry = Math.max(quarry, await quarryMsgsPerSec(actors));
      baseline = Math.max(baseline, await nactMsgsPerSec(actors));
    }
    figures[`msgsPerSec.${variant}`] = quarry;
    figures[`nactMsgsPerSec.${variant}`] = baseline;
  }
  figures.heapBytesPerIdleActor = Math.round((await child(['heap', 'quarry'], ['--expose-gc'])).bytes!);
  figures.nactHeapBytesPerIdleActor = Math.round((await child(['heap', 'nact'], ['--expose-gc'])).bytes!);
  const act = await activations();
  figures.activationsPerSecFromSnapshot = act.perSec;
  figures.activationP99Ms = act.p99Ms;
  figures.restartReadyMs = Math.round((await restartReadyMs()) * 10) / 10;
  figures.ackedWritesPerSec = await ackedWritesPerSec();

  for (const variant of ['1actor', '10kActors']) {
    const ratio = figures[`msgsPerSec.${variant}`]! / figures[`nactMsgsPerSec.${variant}`]!;
    if (ratio < TARGETS.ratio) notes.push(`msgsPerSec.${variant} is ${ratio.toFixed(1)}x nact, target ${TARGETS.ratio}x`);
  }
  if (figures.heapBytesPerIdleActor! > TARGETS.heapBytes) notes.push(`heapBytesPerIdleActor ${figures.heapBytesPerIdleActor} > target ${TARGETS.heapBytes}`);
  if (figures.activationP99Ms! > TARGETS.p99Ms) notes.push(`activationP99Ms ${figures.activationP99Ms} > target ${TARGETS.p99Ms}`);
  if (figures.restartReadyMs! > TARGETS.restartMs) notes.push(`restartReadyMs ${figures.restartReadyMs} > target ${TARGETS.restartMs}`);
  if (figures.ackedWritesPerSec! < TARGETS.ackedPerSec) notes.push(`ackedWritesPerSec ${figures.ackedWritesPerSec} < target ${TARGETS.ackedPerSec}`);
  return { figures, notes };
}

if (process.argv[1] === SELF) {
  const [mode, arg] = process.argv.slice(2);
  const main = mode === 'heap' ? heapChild(arg!) : mode === 'restart' ? restartChild(arg!) : Promise.reject(new Error(`unknown mode ${mode}`));
  main.catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
