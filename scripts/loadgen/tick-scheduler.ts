/**
 * One timer for all of a worker's players: due work kept in a binary heap and run on a fixed tick. A timer per
 * player (3,000–5,000 per worker) costs a timer callback per fix, and fixes sent from separate callbacks each make
 * their own HTTP/2 write (and the node its own read); fixes that fall due within the same tick go out together. A
 * fix leaves up to one tick after its due time; the player's interval is kept exactly (the due times do not drift).
 */

/**
 * How often a worker runs its players' due fixes and stream openings. Longer ticks batch more fixes per HTTP/2 write,
 * and the node reads them in fewer, larger reads. Measured (one worker, one node, 3,000 players at one fix per 10 s):
 * 10 ms: ~0.44 ms of worker CPU per fix, node 0.21 cores; 25 ms: ~0.38, 0.17; 50 ms: ~0.27–0.30, 0.14 — but the
 * fixes of a tick leave together and queue behind each other, which adds to ack p99 (21 → 38 ms there) and
 * fix-to-event p99 (36 → 44 ms). Real players are not synchronized to 50 ms; take a shorter tick when a latency
 * figure matters more than the machine's CPU.
 * @default 50 ms
 */
export const DEFAULT_TICK_MS = 50;

export interface ScheduledTask {
  cancel(): void;
}

interface Task extends ScheduledTask {
  dueMs: number;
  /** Undefined: runs once. */
  readonly everyMs: number | undefined;
  /** Ties run in the order scheduled. */
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class TickScheduler {
  private readonly heap: Task[] = [];
  private scheduled = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs: number = DEFAULT_TICK_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(tickMs) || tickMs <= 0) throw new RangeError(`tickMs must be a positive number of ms, got ${tickMs}`);
  }

  /** Runs `run` at the first tick at or after `firstAtMs`, then every `everyMs` after that due time (once when undefined). */
  schedule(firstAtMs: number, everyMs: number | undefined, run: () => void): ScheduledTask {
    if (everyMs !== undefined && !(everyMs > 0)) throw new RangeError(`everyMs must be positive, got ${everyMs}`);
    const task: Task = {
      dueMs: firstAtMs,
      everyMs,
      order: this.scheduled++,
      run,
      cancelled: false,
      cancel() {
        this.cancelled = true;
      },
    };
    this.push(task);
    return task;
  }

  start(): void {
    this.timer ??= setInterval(() => this.runDue(this.now()), this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs every task due at `nowMs`. A periodic task late by more than its period skips the missed runs (as setInterval does) and keeps its phase. */
  runDue(nowMs: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.dueMs <= nowMs) {
      const task = this.pop();
      if (task.cancelled) continue;
      task.run();
      if (task.everyMs === undefined || task.cancelled) continue;
      task.dueMs += task.everyMs;
      if (task.dueMs <= nowMs) task.dueMs += Math.ceil((nowMs - task.dueMs + 1) / task.everyMs) * task.everyMs;
      this.push(task);
    }
  }

  private push(task: Task): void {
    const heap = this.heap;
    let i = heap.push(task) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(task, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = task;
  }

  private pop(): Task {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Task, b: Task): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.order < b.order);
}
