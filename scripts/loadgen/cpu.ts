import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of other processes (the nodes and nats-server a load run drives), read from Linux's /proc/<pid>/stat,
 * so a run can say how many cores each used during its measured window.
 */

/** Clock ticks per second in /proc/<pid>/stat when `getconf CLK_TCK` cannot say (it is 100 on Linux). @default 100 */
const DEFAULT_CLOCK_TICKS_PER_SEC = 100;

/** utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in clock ticks. */
export function parseProcStatTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces or ')': count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new RangeError(`not a /proc/<pid>/stat line: ${stat.slice(0, 200)}`);
  return utime + stime;
}

export function clockTicksPerSec(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : DEFAULT_CLOCK_TICKS_PER_SEC;
  } catch {
    return DEFAULT_CLOCK_TICKS_PER_SEC;
  }
}

/** CPU seconds (user + system) `pid` has used so far, or undefined when it is gone or there is no /proc. */
export function processCpuSeconds(pid: number, ticksPerSec: number): number | undefined {
  try {
    return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / ticksPerSec;
  } catch {
    return undefined;
  }
}

/**
 * Seconds the main thread of `pid` (its event loop) has spent runnable but waiting for a core, from the second field
 * of /proc/<pid>/schedstat (nanoseconds); undefined when it is gone or the kernel keeps no schedstats.
 */
export function processRunQueueWaitSeconds(pid: number): number | undefined {
  try {
    return parseSchedstatWaitNs(readFileSync(`/proc/${pid}/schedstat`, 'utf8')) / 1e9;
  } catch {
    return undefined;
  }
}

/** The run-queue wait (second field, ns) of a /proc/<pid>/schedstat line: `<on-cpu ns> <waiting ns> <timeslices>`. */
export function parseSchedstatWaitNs(line: string): number {
  const waitNs = Number(line.trim().split(/\s+/)[1]);
  if (!Number.isFinite(waitNs)) throw new RangeError(`not a /proc/<pid>/schedstat line: ${line.slice(0, 100)}`);
  return waitNs;
}

/** Cores `pids` used between construction and `coresUsed()`: CPU seconds over wall seconds (undefined for a pid not readable at both ends). */
export class CpuWindow {
  private readonly ticksPerSec = clockTicksPerSec();
  private readonly startedAtMs = Date.now();
  private readonly startCpuS: Array<number | undefined>;
  private readonly startWaitS: Array<number | undefined>;

  constructor(private readonly pids: readonly number[]) {
    this.startCpuS = pids.map((pid) => processCpuSeconds(pid, this.ticksPerSec));
    this.startWaitS = pids.map((pid) => processRunQueueWaitSeconds(pid));
  }

  /**
   * The share of the window (0..1) each process's event-loop thread spent ready to run but waiting for a core: time a
   * call's latency grows by though the process has nothing else to do (more runnable processes than cores).
   */
  runQueueWaitShare(): Array<number | undefined> {
    const wallS = Math.max((Date.now() - this.startedAtMs) / 1000, 1e-3);
    return this.pids.map((pid, i) => {
      const before = this.startWaitS[i];
      const after = processRunQueueWaitSeconds(pid);
      return before === undefined || after === undefined ? undefined : (after - before) / wallS;
    });
  }

  coresUsed(): Array<number | undefined> {
    const wallS = Math.max((Date.now() - this.startedAtMs) / 1000, 1e-3);
    return this.pids.map((pid, i) => {
      const before = this.startCpuS[i];
      const after = processCpuSeconds(pid, this.ticksPerSec);
      return before === undefined || after === undefined ? undefined : (after - before) / wallS;
    });
  }
}
