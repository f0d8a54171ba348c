import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker, WorkerDone, WorkerProgress, WorkerSlice } from './protocol.js';

/** The compiled worker entry: workers run plain JS, no TypeScript loader. */
const WORKER_JS = fileURLToPath(new URL('./worker.js', import.meta.url));
/**
 * Extra arguments for node itself in every load worker, whitespace-separated: e.g.
 * `QUARRY_LOADGEN_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/lg-prof"` to see where a worker's CPU goes.
 */
export const WORKER_NODE_ARGS_ENV = 'QUARRY_LOADGEN_WORKER_NODE_ARGS';

/** A load worker died or reported an error: names the worker and its players. */
export class LoadWorkerError extends Error {
  override readonly name = 'LoadWorkerError';
}

/**
 * The parent's side of the load workers (scripts/loadgen/worker.ts): forks one child per slice, sends the run's
 * steps to all of them, and collects their answers. Any worker failing fails every pending step.
 */
export class LoadWorkerPool {
  private readonly latest: WorkerProgress[];
  private readonly waiting = new Map<number, { type: FromWorker['type']; resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  private constructor(
    private readonly children: ChildProcess[],
    private readonly slices: WorkerSlice[],
  ) {
    this.latest = slices.map(() => ({ fixesSent: 0, fixesAcked: 0, eventsReceived: 0, eventGaps: 0 }));
    children.forEach((child, w) => {
      child.on('message', (m: FromWorker) => this.onMessage(w, m));
      child.on('error', (err) => this.fail(new LoadWorkerError(`${this.describe(w)}: ${err.message}`, { cause: err })));
      child.once('exit', (code, signal) => this.fail(new LoadWorkerError(`${this.describe(w)} exited (code ${code}, signal ${signal}) before it was done`)));
    });
  }

  /** Forks a worker per slice and resolves once every one has its players, tokens and channels ready. */
  static async fork(slices: WorkerSlice[]): Promise<LoadWorkerPool> {
    const execArgv = process.env[WORKER_NODE_ARGS_ENV]?.split(/\s+/).filter((a) => a !== '') ?? [];
    const children = slices.map(() => fork(WORKER_JS, [], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    const pool = new LoadWorkerPool(children, slices);
    try {
      await pool.all('ready', (w) => ({ type: 'init', slice: slices[w]! }));
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.children.length;
  }

  start(): void {
    for (const child of this.children) child.send({ type: 'start' } satisfies ToWorker);
  }

  /** Starts the measured window in every worker. */
  async mark(): Promise<void> {
    await this.all('marked', () => ({ type: 'mark' }));
  }

  /** Ends the window: every worker stops its players, checks its ledger and reports (failures since `failuresSinceMs` too). */
  async stop(failuresSinceMs?: number): Promise<WorkerDone[]> {
    const done = await this.all('done', () => (failuresSinceMs === undefined ? { type: 'stop' } : { type: 'stop', failuresSinceMs }));
    return done.map((m) => m as WorkerDone);
  }

  /** The workers' counters summed, as of their last progress message; fix-to-event p99 is the worst worker's. */
  progress(): WorkerProgress {
    const sum: WorkerProgress = { fixesSent: 0, fixesAcked: 0, eventsReceived: 0, eventGaps: 0 };
    for (const p of this.latest) {
      sum.fixesSent += p.fixesSent;
      sum.fixesAcked += p.fixesAcked;
      sum.eventsReceived += p.eventsReceived;
      sum.eventGaps += p.eventGaps;
      if (p.fixToEventP99Ms !== undefined) sum.fixToEventP99Ms = Math.max(sum.fixToEventP99Ms ?? 0, p.fixToEventP99Ms);
    }
    return sum;
  }

  /** Disconnects every worker (each exits on disconnect); kills any that is still there after `graceMs`. */
  close(graceMs = 5_000): void {
    for (const child of this.children) {
      child.removeAllListeners('exit');
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), graceMs);
      timer.unref();
      child.once('exit', () => clearTimeout(timer));
    }
  }

  private describe(w: number): string {
    const s = this.slices[w]!;
    return `load worker ${w} (pid ${this.children[w]!.pid}, players ${s.firstPlayer}..${s.firstPlayer + s.players - 1})`;
  }

  /** Sends each worker `message(w)` and resolves with every worker's reply of type `type`. */
  private all(type: FromWorker['type'], message: (w: number) => ToWorker): Promise<FromWorker[]> {
    return Promise.all(
      this.children.map(
        (child, w) =>
          new Promise<FromWorker>((resolve, reject) => {
            if (this.failure) return reject(this.failure);
            this.waiting.set(w, { type, resolve, reject });
            child.send(message(w));
          }),
      ),
    );
  }

  private onMessage(w: number, m: FromWorker): void {
    if (m.type === 'progress') {
      const { type: _, ...progress } = m;
      this.latest[w] = progress;
      return;
    }
    if (m.type === 'failed') return this.fail(new LoadWorkerError(`${this.describe(w)} failed: ${m.message}`));
    const waiter = this.waiting.get(w);
    if (waiter?.type !== m.type) return this.fail(new LoadWorkerError(`${this.describe(w)} sent "${m.type}" while the parent waited for "${waiter?.type ?? 'nothing'}"`));
    this.waiting.delete(w);
    waiter.resolve(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
