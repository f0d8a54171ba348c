import { credentials } from '@grpc/grpc-js';
import { SingleBar, Presets } from 'cli-progress';
import { HuntClient } from '../../proto/gen/hunt.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import type { ProcessMetrics } from '../../ops/process-metrics.js';
import { Walker, DEFAULT_WALK_OPTIONS, type SimBeacon } from '../sim/walker.js';
import { SimPlayer } from './sim-player.js';
import { LoadStats } from './stats.js';

/** How long the final check keeps asking players whose score could not be read or looked short. @default 10000 ms */
const SETTLE_MS = 10_000;

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
  /** Players per gRPC channel (one HTTP/2 connection each). @default 250 */
  playersPerChannel?: number;
  progress: boolean;
  /** Resolves to stop early (Ctrl-C in the demo). */
  signal?: AbortSignal;
}

export interface LoadReport {
  players: number;
  durationS: number;
  fixesSent: number;
  fixesAcked: number;
  fixesFailedByStatus: Record<string, number>;
  firstFailureDetails: Record<string, string>;
  fixesPerSec: number;
  eventsReceived: number;
  eventGaps: number;
  streamErrors: number;
  lostAckedFixes: number;
  fixToEventSamples: number;
  fixToEventP50Ms?: number;
  fixToEventP99Ms?: number;
  fixToEventMaxMs?: number;
  ackP50Ms?: number;
  ackP99Ms?: number;
  nodes: Array<{ target: string; rssMbMax: number; eventLoopLagP99MsMax: number }>;
}

/**
 * Runs simulated players against the targets: ramp up, hold for `durationS`, stop, then check every player's
 * score on the server against the highest score an acknowledgement reported (a lower one = lost ack'd fixes).
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const stats = new LoadStats();
  const perChannel = options.playersPerChannel ?? 250;
  const clients: HuntClient[] = [];
  const players: SimPlayer[] = [];
  const startMs = Date.now();
  for (let i = 0; i < options.players; i++) {
    if (i % perChannel === 0) {
      const target = options.targets[(i / perChannel) % options.targets.length]!;
      clients.push(new HuntClient(target.grpc, credentials.createInsecure(), { 'grpc.max_concurrent_streams': 10_000 }));
    }
    const playerId = `${options.playerPrefix}${i}`;
    const token = await issuePlayerToken({ alg: 'HS256', secret: options.tokenSecret }, { playerId, ttlMinutes: 24 * 60 });
    const walker = new Walker(options.beacons, options.seed + i, startMs - Math.floor(((options.seed + i) * 7919) % 20_000), { ...DEFAULT_WALK_OPTIONS });
    players.push(new SimPlayer(playerId, clients[clients.length - 1]!, token, walker, stats, options.fixIntervalMs, 10_000));
  }
  // Spread the first fixes over the ramp-up and the interval, so load is smooth rather than a thundering herd.
  players.forEach((p, i) => p.start((i / options.players) * options.rampUpS * 1000 + ((i * 7919) % options.fixIntervalMs)));

  const node = new Map<string, { rssMbMax: number; eventLoopLagP99MsMax: number }>();
  const sampleNodes = async () => {
    for (const t of options.targets) {
      if (!t.http || !options.operatorToken) continue;
      try {
        const res = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${options.operatorToken}` } });
        const m = (await res.json()) as ProcessMetrics;
        const prev = node.get(t.grpc) ?? { rssMbMax: 0, eventLoopLagP99MsMax: 0 };
        node.set(t.grpc, { rssMbMax: Math.max(prev.rssMbMax, m.rssBytes / 1048576), eventLoopLagP99MsMax: Math.max(prev.eventLoopLagP99MsMax, m.eventLoopLagP99Ms) });
      } catch {
        // A node that does not answer a sample shows up in the fix failures; the sample is just skipped.
      }
    }
  };

  const bar = options.progress ? new SingleBar({ format: 'load |{bar}| {value}/{total}s  fixes {sent} acked {acked} events {events} gaps {gaps} p99 {p99}ms', hideCursor: true }, Presets.shades_classic) : undefined;
  const totalS = options.rampUpS + options.durationS;
  bar?.start(totalS, 0, { sent: 0, acked: 0, events: 0, gaps: 0, p99: '-' });
  const measureFrom = { sent: 0, acked: 0, at: 0 };
  for (let s = 1; s <= totalS && !options.signal?.aborted; s++) {
    await sleepUnlessAborted(1000, options.signal);
    if (s === options.rampUpS) Object.assign(measureFrom, { sent: stats.fixesSent, acked: stats.fixesAcked, at: Date.now() });
    if (s % 5 === 0) await sampleNodes();
    bar?.update(s, { sent: stats.fixesSent, acked: stats.fixesAcked, events: stats.eventsReceived, gaps: stats.eventGaps, p99: stats.fixToEventMs(99)?.toFixed(1) ?? '-' });
  }
  bar?.stop();
  const measuredS = measureFrom.at ? (Date.now() - measureFrom.at) / 1000 : (Date.now() - startMs) / 1000;
  const ackedInWindow = stats.fixesAcked - measureFrom.acked;
  for (const p of players) p.stop();
  await sampleNodes();

  // Acknowledged means committed: every player's committed score must reach what its acks reported. A player whose
  // check failed (e.g. UNAVAILABLE while a node settles) is asked again until the deadline.
  let behind = players.filter((p) => p.maxAckedScore > 0);
  const settleUntil = Date.now() + SETTLE_MS;
  while (behind.length > 0 && Date.now() < settleUntil) {
    const scores = await Promise.all(behind.map((p) => p.finalScore().catch(() => -1)));
    behind = behind.filter((p, i) => scores[i]! < p.maxAckedScore);
    if (behind.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  const lostAckedFixes = behind.length;
  for (const c of clients) c.close();

  return {
    players: options.players,
    durationS: Math.round(measuredS),
    fixesSent: stats.fixesSent,
    fixesAcked: stats.fixesAcked,
    fixesFailedByStatus: stats.failuresByStatus,
    firstFailureDetails: stats.firstFailureDetails,
    fixesPerSec: Math.round(ackedInWindow / Math.max(measuredS, 1)),
    eventsReceived: stats.eventsReceived,
    eventGaps: stats.eventGaps,
    streamErrors: stats.streamErrors,
    lostAckedFixes,
    fixToEventSamples: stats.fixToEventSamples,
    fixToEventP50Ms: stats.fixToEventMs(50),
    fixToEventP99Ms: stats.fixToEventMs(99),
    fixToEventMaxMs: stats.fixToEventMs(100),
    ackP50Ms: stats.ackMs(50),
    ackP99Ms: stats.ackMs(99),
    nodes: [...node].map(([target, v]) => ({ target, ...v })),
  };
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
