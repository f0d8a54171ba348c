import { SingleBar, Presets } from 'cli-progress';
import type { ProcessMetrics } from '../../ops/process-metrics.js';
import type { SimBeacon } from '../sim/walker.js';
import { CpuWindow } from './cpu.js';
import { mergeFailover, type FailoverSummary } from './failover.js';
import { LoadWorkerPool } from './pool.js';
import type { WorkerSlice } from './protocol.js';
import { LoadStats } from './stats.js';
import { DEFAULT_TICK_MS } from './tick-scheduler.js';

/** How long the final check keeps asking players whose committed score could not be read. @default 10000 ms */
const SETTLE_MS = 10_000;
/** A fix not answered within this is counted as failed (DEADLINE_EXCEEDED, outcome unknown). @default 10000 ms */
const FIX_DEADLINE_MS = 10_000;
/**
 * Players per HTTP/2 connection of a load worker to one node. Real phones have a connection each; sharing one is
 * cheaper for the worker and the node (one connection instead of twelve cut a node from 0.25 to 0.20 cores), but a
 * node's HTTP/2 layer (nghttp2's rapid-reset guard, CVE-2023-44487) closes a connection whose client cancels more
 * than ~1,000 streams in a burst or 33 a second for long: every call whose deadline passes is such a cancel, so
 * 5,000 players on one connection lost all their streams at once under overload (INTERNAL "RST_STREAM with code 2
 * (ERR_HTTP2_SESSION_ERROR)"). At 100 a connection its players cannot cancel 33 fixes a second even if every fix
 * times out, down to one fix per 3 s each (the overload phases' rate is one per 5 s).
 * @default 100
 */
const DEFAULT_PLAYERS_PER_CHANNEL = 100;
/**
 * Fixes per second one load worker sends, with 10 players' event streams open per fix/s as in the headline run
 * (20,000 players, 2,000 fixes/s: 4 workers). Measured (one worker, one node, 3,000 players at one fix per 10 s,
 * worker CPU over the window / acked fixes): ~0.25–0.3 ms of client CPU per fix with its share of streams and
 * events since the lean HTTP/2 client, one connection per node and the 50 ms tick scheduler (it was ~0.6–0.9 ms
 * with grpc-js), so 600 fixes/s keep a worker under a fifth of a core and its event loop free to time events.
 * @default 600
 */
export const FIXES_PER_SEC_PER_WORKER = 600;

export interface LoadTarget {
  /** host:port of the node's native gRPC listener. */
  grpc: string;
  /** http://host:port of the node's HTTP listener, for /metrics sampling (needs the operator token). */
  http?: string;
}

export interface LoadOptions {
  targets: LoadTarget[];
  beacons: SimBeacon[];
  players: number;
  fixIntervalMs: number;
  durationS: number;
  rampUpS: number;
  tokenSecret: string;
  operatorToken?: string;
  /** Player ids are `<prefix><n>`; change it to start fresh players on a node that keeps its data. */
  playerPrefix: string;
  seed: number;
  /** How often each worker sends the fixes that fell due: longer is cheaper, shorter adds less to latency (scripts/loadgen/tick-scheduler.ts). @default 50 ms */
  fixTickMs?: number;
  /** Players per HTTP/2 connection of a worker to one node. @default 5000 */
  playersPerChannel?: number;
  /** Load worker processes, each with a contiguous slice of the players. @default defaultWorkerCount(players, fixIntervalMs) */
  workers?: number;
  /** Processes whose CPU use during the measured window goes into the report (`cpuCores`), read from /proc. */
  cpuPids?: { nodes: number[]; nats?: number };
  progress: boolean;
  /** Resolves to stop early (Ctrl-C in the demo). */
  signal?: AbortSignal;
  /** Called when the measured window opens (Date.now()): the chaos suite times its fault from here. */
  onWindowOpen?: (atMs: number) => void;
  /** Read when the window ends: the instant (Date.now()) of a fault, to sum up failures and recoveries since (`failover`). */
  failuresSinceMs?: () => number | undefined;
}

export interface LoadReport {
  players: number;
  workers: number;
  durationS: number;
  fixesSent: number;
  fixesAcked: number;
  fixesFailedByStatus: Record<string, number>;
  firstFailureDetails: Record<string, string>;
  fixesPerSec: number;
  /** Fixes sent per second in the measured window: what the players offered (a paused or backed-off player offers less). */
  fixesOfferedPerSec: number;
  eventsReceived: number;
  eventGaps: number;
  streamErrors: number;
  streamFailuresByStatus: Record<string, number>;
  firstStreamFailureDetails: Record<string, string>;
  /** Failures of fixes and streams by kind, status and message (numbers as N). */
  failuresByDetails: Record<string, number>;
  /** INTERNAL statuses players saw, on fixes and event streams. */
  internalErrors: number;
  /** Failures and recoveries from `failuresSinceMs()` to the end of the window, when it gave an instant. */
  failover?: FailoverSummary;
  /** Ticks on which a player held back its fix because the server had refused the last one as overloaded (scripts/loadgen/backoff.ts). */
  fixesPaused: number;
  /** Acked fixes whose effect is missing from a later ack or from the committed score (scripts/loadgen/ledger.ts). */
  lostAckedFixes: number;
  /** Players with an ack (or the final score) that could not be checked because a fix of unknown outcome came before it. */
  unverifiedPlayers: number;
  fixToEventSamples: number;
  fixToEventP50Ms?: number;
  fixToEventP99Ms?: number;
  fixToEventMaxMs?: number;
  /** The notification part of fix-to-event: from the commit that made the award event to its arrival. */
  commitToEventP50Ms?: number;
  commitToEventP99Ms?: number;
  ackP50Ms?: number;
  ackP99Ms?: number;
  /** How fast fixes refused RESOURCE_EXHAUSTED were refused (none refused: absent). */
  refusalP99Ms?: number;
  nodes: Array<{ target: string; rssMbMax: number; eventLoopLagP99MsMax: number }>;
  /**
   * Cores used during the measured window: per node pid given (null: not readable at both ends), the load workers
   * together, and nats-server when its pid was given.
   */
  cpuCores: { nodes: Array<number | null>; load: number; nats?: number | null };
  /** Per node, the share of the window (%) its event loop was ready to run but waited for a core (/proc schedstat). */
  runQueueWaitPct: { nodes: Array<number | null> };
}

/** Enough workers that none sends more than FIXES_PER_SEC_PER_WORKER fixes a second; at least 1. */
export function defaultWorkerCount(players: number, fixIntervalMs: number): number {
  return Math.max(1, Math.ceil((players * 1000) / fixIntervalMs / FIXES_PER_SEC_PER_WORKER));
}

/**
 * Runs simulated players against the targets, spread over worker processes: ramp up, hold for `durationS` (the
 * measured window, shared by all workers), stop, then check each player's ledger of acks against its committed score.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const workers = options.workers ?? defaultWorkerCount(options.players, options.fixIntervalMs);
  if (!Number.isInteger(options.players) || options.players < 1) throw new RangeError(`players must be a positive integer, got ${options.players}`);
  if (!Number.isInteger(workers) || workers < 1 || workers > options.players) throw new RangeError(`workers must be an integer from 1 to players (${options.players}), got ${workers}`);
  if (options.fixTickMs !== undefined && !(options.fixTickMs > 0 && options.fixTickMs <= options.fixIntervalMs)) throw new RangeError(`fixTickMs must be a positive number of ms up to fixIntervalMs (${options.fixIntervalMs}), got ${options.fixTickMs}`);
  const pool = await LoadWorkerPool.fork(slices(options, workers));
  try {
    return await drive(options, pool);
  } finally {
    pool.close();
  }
}

function slices(options: LoadOptions, workers: number): WorkerSlice[] {
  const startMs = Date.now();
  return Array.from({ length: workers }, (_, w) => {
    const firstPlayer = Math.floor((w * options.players) / workers);
    return {
      firstPlayer,
      players: Math.floor(((w + 1) * options.players) / workers) - firstPlayer,
      totalPlayers: options.players,
      targets: options.targets.map((t) => t.grpc),
      beacons: options.beacons,
      fixIntervalMs: options.fixIntervalMs,
      fixDeadlineMs: FIX_DEADLINE_MS,
      rampUpS: options.rampUpS,
      tokenSecret: options.tokenSecret,
      playerPrefix: options.playerPrefix,
      seed: options.seed,
      fixTickMs: options.fixTickMs ?? DEFAULT_TICK_MS,
      playersPerChannel: options.playersPerChannel ?? DEFAULT_PLAYERS_PER_CHANNEL,
      startMs,
      settleMs: SETTLE_MS,
    };
  });
}

async function drive(options: LoadOptions, pool: LoadWorkerPool): Promise<LoadReport> {
  const nodeSamples = new Map<string, { rssMbMax: number; eventLoopLagP99MsMax: number }>();
  const sampleNodes = () => sampleNodeMetrics(options, nodeSamples);
  const bar = options.progress ? new SingleBar({ format: 'load |{bar}| {value}/{total}s  fixes {sent} acked {acked} events {events} gaps {gaps} p99 {p99}ms', hideCursor: true }, Presets.shades_classic) : undefined;
  const totalS = options.rampUpS + options.durationS;
  bar?.start(totalS, 0, { sent: 0, acked: 0, events: 0, gaps: 0, p99: '-' });

  const pids = [...(options.cpuPids?.nodes ?? []), ...(options.cpuPids?.nats !== undefined ? [options.cpuPids.nats] : [])];
  // Until the ramp-up ends the whole run is the window (it stays so when Ctrl-C comes first).
  let window = { atMs: Date.now(), cpu: new CpuWindow(pids) };
  const openWindow = async () => {
    await pool.mark();
    window = { atMs: Date.now(), cpu: new CpuWindow(pids) };
    options.onWindowOpen?.(window.atMs);
  };
  pool.start();
  if (options.rampUpS === 0) await openWindow();
  for (let s = 1; s <= totalS && !options.signal?.aborted; s++) {
    await sleepUnlessAborted(1000, options.signal);
    if (s === options.rampUpS) await openWindow();
    if (s % 5 === 0) await sampleNodes();
    const p = pool.progress();
    bar?.update(s, { sent: p.fixesSent, acked: p.fixesAcked, events: p.eventsReceived, gaps: p.eventGaps, p99: p.fixToEventP99Ms?.toFixed(1) ?? '-' });
  }
  bar?.stop();
  const windowS = (Date.now() - window.atMs) / 1000;
  const processCores = window.cpu.coresUsed();
  const processWaits = window.cpu.runQueueWaitShare();
  await sampleNodes();
  const done = await pool.stop(options.failuresSinceMs?.());

  const stats = new LoadStats();
  for (const d of done) stats.add(d.stats);
  const measuredS = Math.max(windowS, 1e-3);
  const nodeCount = options.cpuPids?.nodes.length ?? 0;
  const cpuCores: LoadReport['cpuCores'] = {
    nodes: processCores.slice(0, nodeCount).map((c) => (c === undefined ? null : round2(c))),
    load: round2(done.reduce((sum, d) => sum + d.cpuSecondsInWindow / Math.max(d.windowS, 1e-3), 0)),
  };
  const runQueueWaitPct = { nodes: processWaits.slice(0, nodeCount).map((w) => (w === undefined ? null : round2(w * 100))) };
  if (options.cpuPids?.nats !== undefined) cpuCores.nats = processCores[nodeCount] === undefined ? null : round2(processCores[nodeCount]!);
  return {
    players: options.players,
    workers: pool.size,
    durationS: Math.round(measuredS),
    fixesSent: stats.fixesSent,
    fixesAcked: stats.fixesAcked,
    fixesFailedByStatus: stats.failuresByStatus,
    firstFailureDetails: stats.firstFailureDetails,
    fixesPerSec: Math.round(done.reduce((sum, d) => sum + d.fixesAckedInWindow / Math.max(d.windowS, 1), 0)),
    fixesOfferedPerSec: Math.round(done.reduce((sum, d) => sum + d.fixesSentInWindow / Math.max(d.windowS, 1), 0)),
    eventsReceived: stats.eventsReceived,
    eventGaps: stats.eventGaps,
    streamErrors: stats.streamErrors,
    streamFailuresByStatus: stats.streamFailuresByStatus,
    firstStreamFailureDetails: stats.firstStreamFailureDetails,
    failuresByDetails: stats.failuresByDetails,
    internalErrors: stats.internalErrors,
    ...(done.some((d) => d.failover) ? { failover: mergeFailover(done.flatMap((d) => (d.failover ? [d.failover] : []))) } : {}),
    fixesPaused: stats.fixesPaused,
    lostAckedFixes: done.reduce((sum, d) => sum + d.ledger.lostAckedFixes, 0),
    unverifiedPlayers: done.reduce((sum, d) => sum + d.ledger.unverifiedPlayers, 0),
    fixToEventSamples: stats.fixToEventSamples,
    fixToEventP50Ms: stats.fixToEventMs(50),
    fixToEventP99Ms: stats.fixToEventMs(99),
    fixToEventMaxMs: stats.fixToEventMs(100),
    commitToEventP50Ms: stats.commitToEventMs(50),
    commitToEventP99Ms: stats.commitToEventMs(99),
    ackP50Ms: stats.ackMs(50),
    ackP99Ms: stats.ackMs(99),
    refusalP99Ms: stats.refusalMs(99),
    nodes: [...nodeSamples].map(([target, v]) => ({ target, ...v })),
    cpuCores,
    runQueueWaitPct,
  };
}

async function sampleNodeMetrics(options: LoadOptions, samples: Map<string, { rssMbMax: number; eventLoopLagP99MsMax: number }>): Promise<void> {
  for (const t of options.targets) {
    if (!t.http || !options.operatorToken) continue;
    try {
      const res = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${options.operatorToken}` } });
      const m = (await res.json()) as ProcessMetrics;
      const prev = samples.get(t.grpc) ?? { rssMbMax: 0, eventLoopLagP99MsMax: 0 };
      samples.set(t.grpc, { rssMbMax: Math.max(prev.rssMbMax, m.rssBytes / 1048576), eventLoopLagP99MsMax: Math.max(prev.eventLoopLagP99MsMax, m.eventLoopLagP99Ms) });
    } catch {
      // A node that does not answer a sample shows up in the fix failures; the sample is just skipped.
    }
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
