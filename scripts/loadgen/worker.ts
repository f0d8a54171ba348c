/**
 * A load worker: the entry of a child process forked by `runLoad` (scripts/loadgen/run.ts) that simulates one
 * contiguous slice of the players, with its own HTTP/2 connections, tokens and event streams, so that the load
 * generator is not the bottleneck it measures. It does what the parent says (scripts/loadgen/protocol.ts) and
 * exits when the parent goes away.
 */
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { Walker, DEFAULT_WALK_OPTIONS } from '../sim/walker.js';
import { summarizeFailover } from './failover.js';
import { summarize, type LedgerSummary, type PlayerCheck } from './ledger.js';
import { H2Channel } from './h2-channel.js';
import type { FromWorker, ToWorker, WorkerSlice } from './protocol.js';
import { SimPlayer, STREAM_LEAD_MS } from './sim-player.js';
import { LoadStats } from './stats.js';
import { TickScheduler } from './tick-scheduler.js';

/** How often a worker reports its counters to the parent. @default 1000 ms */
const PROGRESS_EVERY_MS = 1_000;
/** How often the worker looks whether every fix has been answered after `stop`. @default 100 ms */
const IN_FLIGHT_POLL_MS = 100;

function send(message: FromWorker): void {
  process.send!(message);
}

class LoadWorker {
  private readonly stats = new LoadStats();
  private readonly channels: H2Channel[] = [];
  private readonly players: SimPlayer[] = [];
  private readonly scheduler: TickScheduler;
  private progressTimer: NodeJS.Timeout | undefined;
  private window = { atMs: Date.now(), fixesAcked: 0, fixesSent: 0, cpu: process.cpuUsage() };

  constructor(private readonly slice: WorkerSlice) {
    this.scheduler = new TickScheduler(slice.fixTickMs);
  }

  async init(): Promise<void> {
    const s = this.slice;
    // Channel `group` of each target: a player talks to its home target on its group's channel, and fails over to the
    // same group's channel of another target, so a node's players spread over the others' connections too. A
    // connection opens on first use only.
    const channels = s.targets.map(() => [] as H2Channel[]);
    const channelOf = (t: number, group: number): H2Channel => {
      let channel = channels[t]![group];
      if (channel === undefined) {
        channel = channels[t]![group] = new H2Channel(s.targets[t]!);
        this.channels.push(channel);
      }
      return channel;
    };
    for (let i = s.firstPlayer; i < s.firstPlayer + s.players; i++) {
      // Player i talks to target i mod targets, so every node gets its share whatever the worker and channel counts.
      const t = i % s.targets.length;
      const group = channelGroup(i - s.firstPlayer, s.playersPerChannel, s.targets.length);
      const playerChannels = s.targets.map((_, u) => channelOf(u, group));
      const playerId = `${s.playerPrefix}${i}`;
      const token = await issuePlayerToken({ alg: 'HS256', secret: s.tokenSecret }, { playerId, ttlMinutes: 24 * 60 });
      const walker = new Walker(s.beacons, s.seed + i, s.startMs - Math.floor(((s.seed + i) * 7919) % 20_000), { ...DEFAULT_WALK_OPTIONS });
      this.players.push(new SimPlayer(playerId, playerChannels, t, token, walker, this.stats, s.fixIntervalMs, s.fixDeadlineMs, Math.random, s.firstClientSeq));
    }
  }

  start(): void {
    const s = this.slice;
    // Players arrive in turn over the first max(ramp-up, interval), each opening its stream just before its first
    // fix; spread over at least one interval, their fixes keep phases spread over it for good, so load is smooth
    // rather than a thundering herd. A window that opens after a ramp-up at least one interval long holds no first
    // fix and no stream set-up (spreading over ramp-up + interval put up to one interval of them in it).
    const startMs = Date.now();
    const spreadMs = Math.max(s.rampUpS * 1000, s.fixIntervalMs);
    this.players.forEach((p, k) => {
      const i = s.firstPlayer + k;
      const firstFixMs = startMs + (i / s.totalPlayers) * spreadMs;
      this.scheduler.schedule(Math.max(startMs, firstFixMs - STREAM_LEAD_MS), undefined, () => p.subscribe());
      this.scheduler.schedule(firstFixMs, s.fixIntervalMs, () => p.sendFix());
    });
    this.scheduler.start();
    this.window = { atMs: Date.now(), fixesAcked: 0, fixesSent: 0, cpu: process.cpuUsage() };
    this.progressTimer = setInterval(() => send({ type: 'progress', ...this.progress() }), PROGRESS_EVERY_MS);
  }

  mark(): void {
    this.window = { atMs: Date.now(), fixesAcked: this.stats.fixesAcked, fixesSent: this.stats.fixesSent, cpu: process.cpuUsage() };
    this.stats.resetLatencies();
  }

  async stop(failuresSinceMs: number | undefined): Promise<void> {
    // As of the end of the window: failures of fixes still in flight come after it.
    const failover = failuresSinceMs === undefined ? undefined : summarizeFailover(failuresSinceMs, this.stats.failureTimesMs, this.players.map((p) => p.failureTimes));
    const cpu = process.cpuUsage(this.window.cpu);
    const windowS = (Date.now() - this.window.atMs) / 1000;
    const fixesAckedInWindow = this.stats.fixesAcked - this.window.fixesAcked;
    const fixesSentInWindow = this.stats.fixesSent - this.window.fixesSent;
    clearInterval(this.progressTimer);
    this.scheduler.stop();
    for (const p of this.players) p.stop();
    const ledger = await this.checkLedger();
    for (const c of this.channels) c.close();
    const ackedClaims = this.players.flatMap((p) => p.ackedClaims.map((t): [string, string] => [p.playerId, t]));
    send({ type: 'done', stats: this.stats.snapshot(), windowS, fixesAckedInWindow, fixesSentInWindow, cpuSecondsInWindow: (cpu.user + cpu.system) / 1e6, ledger, ackedClaims, ...(failover ? { failover } : {}) });
  }

  private progress() {
    const s = this.stats;
    return { fixesSent: s.fixesSent, fixesAcked: s.fixesAcked, eventsReceived: s.eventsReceived, eventGaps: s.eventGaps, fixToEventP99Ms: s.fixToEventMs(99) };
  }

  /**
   * Waits until every fix is answered (each has a deadline, so this ends), then reads each player's committed score
   * and checks its ledger. A read that fails (e.g. UNAVAILABLE while a node settles) is tried again until `settleMs`.
   */
  private async checkLedger(): Promise<LedgerSummary> {
    const answeredBy = Date.now() + this.slice.fixDeadlineMs + 1_000;
    while (this.players.some((p) => p.inFlightCount > 0) && Date.now() < answeredBy) await sleep(IN_FLIGHT_POLL_MS);
    const committed = new Map<SimPlayer, number | undefined>();
    let unread = [...this.players];
    const settleBy = Date.now() + this.slice.settleMs;
    while (unread.length > 0) {
      const scores = await mapLimited(unread, READ_BACK_CONCURRENCY, (p) => p.committedScore().then((score) => ({ score }), () => undefined));
      unread.forEach((p, i) => scores[i] && committed.set(p, scores[i].score));
      unread = unread.filter((_, i) => scores[i] === undefined);
      if (unread.length === 0 || Date.now() >= settleBy) break;
      await sleep(500);
    }
    const checks: PlayerCheck[] = this.players.map((p) => p.check(committed.get(p)));
    return summarize(checks);
  }
}

/**
 * Read-backs in flight at once per worker: all of a worker's players at once would be refused by the nodes'
 * admission (RESOURCE_EXHAUSTED) and leave them unverified, as a real client fleet would not do either.
 */
const READ_BACK_CONCURRENCY = 64;

/** `fn` over `items` with at most `limit` calls pending, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The parent decides when to stop: Ctrl-C reaches the whole process group, and the parent turns it into `stop`.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
let worker: LoadWorker | undefined;
process.on('message', (message: ToWorker) => {
  const run = async () => {
    switch (message.type) {
      case 'init':
        worker = new LoadWorker(message.slice);
        await worker.init();
        return send({ type: 'ready' });
      case 'start':
        return worker!.start();
      case 'mark':
        worker!.mark();
        return send({ type: 'marked' });
      case 'stop':
        return worker!.stop(message.failuresSinceMs);
    }
  };
  run().catch((err: Error) => send({ type: 'failed', message: err.stack ?? err.message }));
});

/**
 * The connection group of a worker's k-th player: each group's connection to a node carries `playersPerChannel` of
 * that node's own players (players go to the nodes in turn) and the group's failover traffic for the other nodes.
 */
export function channelGroup(k: number, playersPerChannel: number, targets: number): number {
  return Math.floor(k / (playersPerChannel * targets));
}
