// Load side of bench gateway: the players' fix streams, closed and open loops, and the fix-to-event phase.
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { build } from 'hdr-histogram-js';
import { Event, Fix, FixAck, HuntClient, HuntService, SubscribeRequest } from '../../proto/gen/hunt.js';
import { RawGrpcClient } from './raw-grpc.js';

/**
 * Fixes a player sends at one beacon before stepping to the next: enough for smoothing and hysteresis
 * (3 confirming fixes) to make the new beacon current, so every player keeps visiting beacons it has not seen.
 */
export const FIXES_PER_BEACON = 6;

export interface SimBeacon {
  id: string;
  txPowerDbm: number;
}

/** One player's fix stream: strong at the beacon it stands at, weaker from the previous and the next. */
export class Route {
  private readonly seq: Uint32Array;
  /** Each player's leg (index into its walk) of the last fix. */
  private readonly leg: Uint32Array;
  readonly busy: Uint8Array;
  /** Each player's closest beacon in its last ack ('' before any): a change is a visit (actors/hunt/player.ts). */
  readonly closest: string[];
  /**
   * Players stand where their last fix was: client_seq still rises, the readings stay those of that beacon, so
   * (once a player's closest beacon has caught up) no fix visits a beacon. Off: a new beacon every FIXES_PER_BEACON.
   */
  stay = false;
  /** `seqs`: each player's last client_seq, when the route goes on from another process's (see latency-process.ts). */
  constructor(private readonly beacons: SimBeacon[], players: number, seqs?: readonly number[]) {
    this.seq = new Uint32Array(players);
    if (seqs !== undefined) this.seq.set(seqs.slice(0, players));
    this.leg = this.seq.map((s) => Math.floor(s / FIXES_PER_BEACON));
    this.busy = new Uint8Array(players);
    this.closest = new Array<string>(players).fill('');
  }
  /** The last client_seq of players 0..count-1. */
  seqs(count: number): number[] {
    return Array.from(this.seq.subarray(0, count));
  }
  /** Goes on from `seqs` (players 0..seqs.length-1), as another process left them. */
  resume(seqs: readonly number[]): void {
    this.seq.set(seqs);
    for (let p = 0; p < seqs.length; p++) this.leg[p] = Math.floor(seqs[p]! / FIXES_PER_BEACON);
  }
  private at(player: number, leg: number): SimBeacon {
    return this.beacons[(player * 7 + leg) % this.beacons.length]!;
  }
  next(player: number, playerId: string): Fix {
    const s = ++this.seq[player]!;
    const leg = this.stay ? this.leg[player]! : Math.floor(s / FIXES_PER_BEACON);
    this.leg[player] = leg;
    const here = this.at(player, leg);
    const prev = this.at(player, leg + this.beacons.length - 1);
    const next = this.at(player, leg + 1);
    return {
      playerId,
      clientSeq: s,
      clientTimeMs: Date.now(),
      gps: undefined,
      readings: [
        { beaconId: here.id, rssiDbm: here.txPowerDbm - 3 - (s % 3) },
        { beaconId: prev.id, rssiDbm: prev.txPowerDbm - 20 },
        { beaconId: next.id, rssiDbm: next.txPowerDbm - 18 },
      ],
    };
  }
}

export type SendFix = (player: number) => Promise<FixAck>;

export interface LoopResult {
  acked: number;
  /** Acks whose closest beacon differs from the player's last: each such fix visited a beacon. */
  visits: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

/** Closed loop: `concurrency` fixes in flight for `durationMs`, each to a player with none in flight. */
export async function closedLoop(route: Route, players: number, concurrency: number, durationMs: number, send: SendFix): Promise<LoopResult> {
  const r: LoopResult = { acked: 0, visits: 0, failed: 0, elapsedMs: 0 };
  let cursor = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() - t0 < durationMs) {
      let p = cursor++ % players;
      while (route.busy[p]) p = cursor++ % players;
      await sendCounted(route, p, send, r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  r.elapsedMs = performance.now() - t0;
  return r;
}

/** Sends player `p`'s next fix, marking it busy meanwhile, and counts the outcome in `r`. */
async function sendCounted(route: Route, p: number, send: SendFix, r: LoopResult): Promise<void> {
  route.busy[p] = 1;
  try {
    const ack = await send(p);
    r.acked++;
    if (ack.closestBeaconId !== '' && ack.closestBeaconId !== route.closest[p]) r.visits++;
    route.closest[p] = ack.closestBeaconId;
  } catch (err) {
    r.failed++;
    r.firstError ??= String((err as Error).message);
  } finally {
    route.busy[p] = 0;
  }
}

/** One fix from each player, `concurrency` in flight. */
export async function eachPlayerOnce(route: Route, players: number, concurrency: number, send: SendFix): Promise<LoopResult> {
  const r: LoopResult = { acked: 0, visits: 0, failed: 0, elapsedMs: 0 };
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < players) {
      const p = next++;
      await sendCounted(route, p, send, r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  r.elapsedMs = performance.now() - t0;
  return r;
}

export function grpcClients(address: string, count: number): HuntClient[] {
  // A local subchannel pool per client: each client is its own HTTP/2 connection, not one shared.
  return Array.from({ length: count }, () => new HuntClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
}

export function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export interface LatencyResult {
  sent: number;
  failed: number;
  samples: number;
  minMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ackP50Ms: number;
  ackP99Ms: number;
  elapsedS: number;
  /** How long the streams' replay took before the timed fixes began, in ms (REPLAY_WAIT_MAX_MS: cut short). */
  replayWaitMs: number;
}

/**
 * Pacing of the open loop, in ms: fixes due since the last tick go out together. 10 ms sent bursts of ~18 fixes at
 * once at 1,800/s, so the last of each burst queued behind the others in both processes; phones do not synchronise.
 */
const LATENCY_TICK_MS = 2;
/** The streams' replay of past events is over once none has come for this long, in ms. */
const REPLAY_QUIET_MS = 300;
/** Longest wait for the replay to end before the timed fixes start anyway, in ms. */
export const REPLAY_WAIT_MAX_MS = 10_000;

/** The load side of the fix-to-event phase: player `p`'s next fix, and player `p`'s event stream. */
export interface HuntLoad {
  send: SendFix;
  /** Opens `p`'s Subscribe stream after event `afterSeq`: `opened` once it is live, `failed` if it ends with an error. */
  openStream(p: number, afterSeq: number, onEvent: (e: Event) => void, opened: () => void, failed: (err: Error) => void): { cancel(): void };
  close(): void;
}

/**
 * HuntLoad over RawGrpcClient (4 HTTP/2 connections), for `playerIds[p]` with `tokens[p]`: the fixes come from
 * `route`. One load process on the same two cores as the server: see raw-grpc.ts for why not grpc-js here.
 */
export function rawHuntLoad(address: string, route: Route, playerIds: readonly string[], tokens: readonly string[], deadlineMs: number): HuntLoad {
  const raw = new RawGrpcClient(address, 4);
  const auth = tokens.map((t) => `Bearer ${t}`);
  return {
    send: async (p) => FixAck.decode(await raw.unary(p, HuntService.reportFix.path, Fix.encode(route.next(p, playerIds[p]!)).finish(), auth[p]!, deadlineMs)),
    openStream: (p, afterSeq, onEvent, opened, failed) =>
      raw.serverStream(p, HuntService.subscribe.path, SubscribeRequest.encode({ playerId: playerIds[p]!, afterSeq, cursors: [] }).finish(), auth[p]!, {
        onMessage: (m) => onEvent(Event.decode(m)),
        onOpen: opened,
        onEnd: (err) => err && failed(err),
      }),
    close: () => raw.close(),
  };
}

/** Tries a player makes to open its stream while a node refuses set-ups past its admission cap (RESOURCE_EXHAUSTED). */
export const STREAM_OPEN_ATTEMPTS = 50;
/** Pause before a refused stream set-up is tried again, in ms (up to twice that, jittered). */
export const STREAM_RETRY_MS = 100;

/**
 * Players 0..players-1 hold their event streams open; fixes go out on a LATENCY_TICK_MS tick at `ratePerSec`. A fix
 * whose ack carries an award is timed until the award event with that beacon arrives (it may arrive before the ack).
 * `streamSeqs[p]` is the last event player `p` has seen: its stream resumes after it, as a phone's does, and it is
 * updated to the last event seen in this phase.
 */
export async function fixToEvent(load: HuntLoad, route: Route, players: number, ratePerSec: number, phaseMs: number, streamSeqs: number[] = new Array<number>(players).fill(0)): Promise<LatencyResult> {
  const hist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const ackHist = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const awaiting = Array.from({ length: players }, () => new Map<string, number>());
  const early = Array.from({ length: players }, () => new Map<string, number>());
  const streams: Array<{ cancel(): void }> = [];
  let opened = 0;
  let lastEventAt = 0;
  await new Promise<void>((resolve, reject) => {
    for (let p = 0; p < players; p++) {
      const onEvent = (e: Event) => {
        lastEventAt = performance.now();
        if (e.seq > streamSeqs[p]!) streamSeqs[p] = e.seq;
        if (e.body?.$case !== 'award') return;
        const at = performance.now();
        const sentAt = awaiting[p]!.get(e.body.value.beaconId);
        if (sentAt === undefined) early[p]!.set(e.body.value.beaconId, at);
        else {
          awaiting[p]!.delete(e.body.value.beaconId);
          hist.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
        }
      };
      // A node refuses set-ups past its admission cap (RESOURCE_EXHAUSTED): the player tries again after a pause, as a
      // phone does; any other failure ends the phase.
      const open = (attempt: number): void => {
        const stream = load.openStream(p, streamSeqs[p]!, onEvent, () => ++opened === players && resolve(), (err) => {
          if ((err as { code?: number }).code !== status.RESOURCE_EXHAUSTED || attempt >= STREAM_OPEN_ATTEMPTS) return reject(new Error(`stream of player ${p}: ${err.message}`));
          setTimeout(() => open(attempt + 1), STREAM_RETRY_MS * (1 + Math.random()));
        });
        streams[p] = stream;
      };
      open(1);
    }
  });
  // A stream first replays the player's events after its cursor (all of them the first time, earlier phases had no
  // streams): the clock starts once that replay is over, so the phase times fixes, not a reconnect storm.
  const openedAt = performance.now();
  lastEventAt = Math.max(lastEventAt, openedAt);
  while (performance.now() - lastEventAt < REPLAY_QUIET_MS && performance.now() - openedAt < REPLAY_WAIT_MAX_MS) await sleep(REPLAY_QUIET_MS / 4);
  const replayWaitMs = Math.round(performance.now() - openedAt);
  for (const m of early) m.clear();
  let sent = 0;
  let failed = 0;
  let credit = 0;
  let cursor = 0;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  let last = t0;
  while (performance.now() - t0 < phaseMs) {
    await sleep(LATENCY_TICK_MS);
    const now = performance.now();
    credit += ((now - last) / 1000) * ratePerSec;
    last = now;
    for (; credit >= 1; credit--) {
      let p = cursor++ % players;
      for (let tries = 0; route.busy[p] && tries < players; tries++) p = cursor++ % players;
      if (route.busy[p]) break;
      route.busy[p] = 1;
      sent++;
      const sentAt = performance.now();
      const done = load
        .send(p)
        .then((ack) => {
          ackHist.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
          for (const a of ack.awards) {
            const at = early[p]!.get(a.beaconId);
            if (at === undefined) awaiting[p]!.set(a.beaconId, sentAt);
            else {
              early[p]!.delete(a.beaconId);
              hist.recordValue(Math.max(1, Math.round((at - sentAt) * 1000)));
            }
          }
        })
        .catch(() => void failed++)
        .finally(() => {
          route.busy[p] = 0;
          inflight.delete(done);
        });
      inflight.add(done);
    }
  }
  await Promise.all(inflight);
  await sleep(500);
  for (const s of streams) s.cancel();
  const ms = (q: number, h = hist) => Math.round(h.getValueAtPercentile(q)) / 1000;
  return { sent, failed, samples: hist.totalCount, minMs: Math.round(hist.minNonZeroValue) / 1000, p50Ms: ms(50), p99Ms: ms(99), maxMs: ms(100), ackP50Ms: ms(50, ackHist), ackP99Ms: ms(99, ackHist), elapsedS: (performance.now() - t0) / 1000, replayWaitMs };
}
