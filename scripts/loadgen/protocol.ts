import type { SimBeacon } from '../sim/walker.js';
import type { FailoverSummary } from './failover.js';
import type { LedgerSummary } from './ledger.js';
import type { LoadStatsSnapshot } from './stats.js';

/**
 * The messages between `runLoad` (the parent, scripts/loadgen/run.ts) and its load workers (scripts/loadgen/worker.ts),
 * over the IPC channel of `child_process.fork`. The parent drives the run: start, the measured window, stop.
 */

/** What one worker simulates: players `firstPlayer` .. `firstPlayer + players - 1` of a run of `totalPlayers`. */
export interface WorkerSlice {
  firstPlayer: number;
  players: number;
  totalPlayers: number;
  /** host:port of each node's native gRPC listener; player n talks to target n mod targets, then fails over in order. */
  targets: string[];
  beacons: SimBeacon[];
  fixIntervalMs: number;
  fixDeadlineMs: number;
  rampUpS: number;
  tokenSecret: string;
  playerPrefix: string;
  seed: number;
  /** How often the worker sends the fixes that fell due (scripts/loadgen/tick-scheduler.ts). */
  fixTickMs: number;
  /** Players per HTTP/2 connection of a worker to one target. */
  playersPerChannel: number;
  /** The parent's clock when the run began, so every worker walks its players exactly as one process would. */
  startMs: number;
  /** How long the final check keeps asking a player whose committed score could not be read. */
  settleMs: number;
  /** The clientSeq of each player's first fix (`LoadOptions.firstClientSeq`). */
  firstClientSeq: number;
}

export type ToWorker =
  | { type: 'init'; slice: WorkerSlice }
  /** Players start their fix loops now (each after its ramp-up delay). */
  | { type: 'start' }
  /** The measured window begins: note the acked count and CPU time. */
  | { type: 'mark' }
  /**
   * The window ends: stop the players, wait for answers, check the ledger, report. With `failuresSinceMs` (a fault
   * injected then), also sum up the failures and recoveries since (scripts/loadgen/failover.ts).
   */
  | { type: 'stop'; failuresSinceMs?: number };

/** A worker's counters so far, sent every second for the progress bar. */
export interface WorkerProgress {
  fixesSent: number;
  fixesAcked: number;
  eventsReceived: number;
  eventGaps: number;
  fixToEventP99Ms?: number;
}

export interface WorkerDone {
  stats: LoadStatsSnapshot;
  /**
   * The window as this worker saw it, from `mark` to `stop` arriving (from its start when there was no `mark`): rates
   * are per worker over its own window, so a late IPC message under load does not inflate them.
   */
  windowS: number;
  /** Fixes acked in the window. */
  fixesAckedInWindow: number;
  /** Fixes sent in the window (what was offered). */
  fixesSentInWindow: number;
  /** CPU time (user + system) this worker used in the window. */
  cpuSecondsInWindow: number;
  ledger: LedgerSummary;
  /** Every treasure claim an ack reported, as `[playerId, treasureId]`. */
  ackedClaims: Array<[string, string]>;
  /** Present when `stop` named `failuresSinceMs`. */
  failover?: FailoverSummary;
}

export type FromWorker =
  | { type: 'ready' }
  | ({ type: 'progress' } & WorkerProgress)
  | { type: 'marked' }
  | ({ type: 'done' } & WorkerDone)
  | { type: 'failed'; message: string };
