/**
 * `quarry bench notify`: the notifier against its own nats-server (started and stopped here).
 * - publishPerSec: acked `Notifier.publish` throughput, batches as the relay sends them (256), JetStream;
 *   rawJetStreamPublishPerSec: the same entries through bare `@nats-io/jetstream` publish with msgID, same
 *   pipelining, in the same run; `.inProcess` variants for the single-node bus.
 * - fanoutToAllMs: one winner notification to `all`, p99 arrival over 20k players subscribed on another
 *   connection (another node), over several rounds.
 * - resumeReplayMs: a stream resuming with 100 missed personal events (interleaved with other players'
 *   traffic) until the 100th arrives; median of several resumes.
 * - relayCommitToEventMs.p50/.p99: the outbox relay (real LMDB outbox) under a steady commit rate
 *   (RELAY_RATE_PER_SEC over 200 players): from the outbox commit to the event reaching a stream on another
 *   connection. relayEventsPerSec: RELAY_DRAIN_ENTRIES committed up front, relay started, until all arrived.
 *   `.serial`: the same with one batch in flight (the relay before pipelining), alternating in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES, OutboxRelay } from '../../gateway/notify/relay.js';
import { LmdbTestOutbox } from '../../testing/lmdb-outbox.js';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { OutboxEntry } from '../../actors/runtime/types.js';
import { InProcessNotifier } from '../../gateway/notify/in-process.js';
import { JetStreamNotifier } from '../../gateway/notify/jetstream.js';
import type { Notifier } from '../../gateway/notify/notifier.js';
import { startNatsServer } from '../../testing/nats.js';
import { median, type BenchOptions, type BenchResult } from './harness.js';

const PUBLISH_ENTRIES = 10_000;
/** Raw and notifier publish alternate this many times; medians are reported (the machine is shared and noisy). */
const PUBLISH_ROUNDS = 3;
const BATCH = 256;
const FANOUT_PLAYERS = 20_000;
const FANOUT_ROUNDS = 5;
const MISSED = 100;
const RESUMES = 10;
const RELAY_PLAYERS = 200;
const RELAY_RATE_PER_SEC = 2_000;
const RELAY_SECONDS = 2;
const RELAY_DRAIN_ENTRIES = 10_000;
const BODY = { award: { beaconId: 'b17', points: 10, reason: 'visit' } };

let dedup = 0;
function entries(n: number, channel: (i: number) => string): OutboxEntry[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, channel: channel(i), body: BODY, dedupId: `bench/${++dedup}`, committedAtMs: Date.now() }));
}

async function publishPerSec(notifier: Notifier): Promise<number> {
  const all = entries(PUBLISH_ENTRIES, (i) => `user.p${i % 1000}`);
  const start = performance.now();
  for (let i = 0; i < all.length; i += BATCH) await notifier.publish(all.slice(i, i + BATCH));
  return Math.round(all.length / ((performance.now() - start) / 1000));
}

async function rawJetStreamPublishPerSec(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'RAW', subjects: ['raw.>'], duplicate_window: nanos(300_000), max_msgs_per_subject: 1_000 }).catch(() => {});
    const js = jetstream(nc);
    const all = entries(PUBLISH_ENTRIES, (i) => `raw.user.p${i % 1000}`);
    const start = performance.now();
    for (let i = 0; i < all.length; i += BATCH) {
      await Promise.all(all.slice(i, i + BATCH).map((e) => js.publish(e.channel, JSON.stringify({ at: e.committedAtMs, body: e.body }), { msgID: e.dedupId })));
    }
    return Math.round(all.length / ((performance.now() - start) / 1000));
  } finally {
    await nc.close();
  }
}

async function settle(notifier: { catchingUp: number }): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (notifier.catchingUp > 0) {
    if (Date.now() > deadline) throw new Error(`bench notify: ${notifier.catchingUp} streams still catching up after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function fanoutToAllMs(pub: Notifier, sub: Notifier & { catchingUp: number }): Promise<number> {
  const arrivals: number[] = [];
  let sentAt = 0;
  let round = 0;
  let pending = 0;
  let done: () => void = () => {};
  const streams = Array.from({ length: FANOUT_PLAYERS }, (_, i) =>
    sub.subscribe(`f${i}`, {}, (e) => {
      if (e.channel !== 'all') return;
      arrivals.push(performance.now() - sentAt);
      if (--pending === 0) done();
    }),
  );
  await settle(sub);
  for (round = 0; round < FANOUT_ROUNDS; round++) {
    pending = FANOUT_PLAYERS;
    const all = new Promise<void>((resolve) => (done = resolve));
    sentAt = performance.now();
    await pub.publish(entries(1, () => 'all'));
    await all;
  }
  for (const s of streams) s.unsubscribe();
  arrivals.sort((a, b) => a - b);
  return Math.round(percentile(arrivals, 99) * 10) / 10;
}

async function resumeReplayMs(pub: Notifier, sub: Notifier): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RESUMES; r++) {
    const player = `r${r}`;
    await pub.publish(entries(1, () => `user.${player}`));
    let cursor = 0;
    const first = sub.subscribe(player, {}, (e) => (cursor = e.seq));
    while (cursor === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    first.unsubscribe();
    // The missed events, interleaved with other players' traffic as in a real stream.
    await pub.publish(entries(MISSED * 3, (i) => (i % 3 === 0 ? `user.${player}` : `user.other${i % 50}`)));
    let got = 0;
    const start = performance.now();
    const finished = new Promise<void>((resolve) => {
      const stream = sub.subscribe(player, { [`user.${player}`]: cursor }, () => {
        if (++got === MISSED) {
          times.push(performance.now() - start);
          stream.unsubscribe();
          resolve();
        }
      });
    });
    await finished;
  }
  times.sort((a, b) => a - b);
  return Math.round(percentile(times, 50) * 10) / 10;
}

/** Relay window sizes compared in the same run: 1 is one batch at a time (the relay before pipelining). */
const RELAY_WINDOWS = [1, DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES] as const;
const RELAY_ROUNDS = 3;

/**
 * Commit-to-arrival through the relay (real LMDB outbox) at a steady commit rate, then the drain rate of a
 * backlog, for each window size, rounds alternating. `.serial` = window 1.
 */
async function relayFigures(pub: JetStreamNotifier, sub: JetStreamNotifier, figures: Record<string, number>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-bench-relay-'));
  const outbox = LmdbTestOutbox.open(dir);
  let delays: number[] = [];
  let arrived = 0;
  let waiting: { target: number; resolve: () => void } | undefined;
  const streams = Array.from({ length: RELAY_PLAYERS }, (_, i) =>
    sub.subscribe(`rl${i}`, {}, (e) => {
      delays.push(Date.now() - e.atMs);
      if (++arrived === waiting?.target) waiting.resolve();
    }),
  );
  const until = (target: number): Promise<void> => (arrived >= target ? Promise.resolve() : new Promise((resolve) => (waiting = { target, resolve })));
  const commit = (n: number): Promise<unknown> => outbox.commit(`user.rl${n % RELAY_PLAYERS}`, BODY, `bench/relay/${++dedup}`);
  const p50: Record<number, number[]> = {};
  const p99: Record<number, number[]> = {};
  const eps: Record<number, number[]> = {};
  try {
    await settle(sub);
    for (let round = 0; round < RELAY_ROUNDS; round++) {
      for (const window of RELAY_WINDOWS) {
        const relay = new OutboxRelay({ source: outbox, notifier: pub, maxInFlightBatches: window });
        relay.start();
        delays = [];
        const tickMs = 5;
        const perTick = (RELAY_RATE_PER_SEC * tickMs) / 1000;
        const total = RELAY_RATE_PER_SEC * RELAY_SECONDS;
        const target = arrived + total;
        const started = performance.now();
        for (let n = 0; n < total; ) {
          const commits: Promise<unknown>[] = [];
          for (let k = 0; k < perTick && n < total; k++, n++) commits.push(commit(n));
          await Promise.all(commits);
          const waitMs = started + (n / RELAY_RATE_PER_SEC) * 1000 - performance.now();
          if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
        await until(target);
        await relay.stop();
        delays.sort((a, b) => a - b);
        (p50[window] ??= []).push(percentile(delays, 50));
        (p99[window] ??= []).push(percentile(delays, 99));
        await Promise.all(Array.from({ length: RELAY_DRAIN_ENTRIES }, (_, n) => commit(n)));
        const drainTarget = arrived + RELAY_DRAIN_ENTRIES;
        const drain = new OutboxRelay({ source: outbox, notifier: pub, maxInFlightBatches: window });
        const drainStart = performance.now();
        drain.start();
        await until(drainTarget);
        (eps[window] ??= []).push(Math.round(RELAY_DRAIN_ENTRIES / ((performance.now() - drainStart) / 1000)));
        await drain.stop();
      }
    }
    for (const window of RELAY_WINDOWS) {
      const suffix = window === 1 ? '.serial' : window === DEFAULT_RELAY_MAX_IN_FLIGHT_BATCHES ? '' : `.w${window}`;
      figures[`relayCommitToEventMs.p50${suffix}`] = median(p50[window]!);
      figures[`relayCommitToEventMs.p99${suffix}`] = median(p99[window]!);
      figures[`relayEventsPerSec${suffix}`] = median(eps[window]!);
    }
  } finally {
    for (const s of streams) s.unsubscribe();
    await outbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(_options: BenchOptions): Promise<BenchResult> {
  const figures: Record<string, number> = {};
  const notes: string[] = [];
  const nats = await startNatsServer();
  try {
    const opts = { servers: nats.url, replayRetainEvents: 1_000 };
    const pub = await JetStreamNotifier.connect({ ...opts, name: 'bench-pub' });
    const sub = await JetStreamNotifier.connect({ ...opts, name: 'bench-sub' });
    try {
      const raw: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < PUBLISH_ROUNDS; i++) {
        raw.push(await rawJetStreamPublishPerSec(nats.url));
        ours.push(await publishPerSec(pub));
      }
      figures['rawJetStreamPublishPerSec'] = median(raw);
      figures['publishPerSec'] = median(ours);
      figures['resumeReplayMs'] = await resumeReplayMs(pub, sub);
      figures['fanoutToAllMs'] = await fanoutToAllMs(pub, sub);
      await relayFigures(pub, sub, figures);
    } finally {
      await Promise.all([pub.close(), sub.close()]);
    }
  } finally {
    await nats.close();
  }
  const local = new InProcessNotifier({ replayRetainEvents: 1_000 });
  figures['publishPerSec.inProcess'] = await publishPerSec(local);
  figures['resumeReplayMs.inProcess'] = await resumeReplayMs(local, local);
  figures['fanoutToAllMs.inProcess'] = await fanoutToAllMs(local, local);
  await local.close();
  if (figures['fanoutToAllMs']! > 1_000) notes.push(`fanoutToAllMs ${figures['fanoutToAllMs']} misses the 1 s target`);
  if (figures['resumeReplayMs']! > 50) notes.push(`resumeReplayMs ${figures['resumeReplayMs']} misses the 50 ms target`);
  return { figures, notes };
}
