import { Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import type { Event, Fix, FixAck, HuntClient } from '../../proto/gen/hunt.js';
import { Walker } from '../sim/walker.js';
import { committedScoreOf, mightHaveApplied, PlayerLedger, pointsOf, type PlayerCheck } from './ledger.js';
import type { LoadStats } from './stats.js';

/**
 * One simulated phone: walks the hunt, sends a fix every `fixIntervalMs` over unary gRPC, keeps an event
 * stream open, and records what a player would notice: failed fixes, fix-to-event latency, sequence gaps.
 */
export class SimPlayer {
  private stream: ClientReadableStream<Event> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  /** Per channel, the seq of the last event received: the resume cursor and the gap detector. */
  readonly lastSeq = new Map<string, number>();
  /** Award (beacon, points, reason) -> send times of the fixes that earned it, matched by the award event. */
  private readonly awaitingEvent = new Map<string, number[]>();
  /** Award -> arrival times of events that beat their fix's acknowledgement. */
  private readonly earlyEvents = new Map<string, number[]>();
  /** What came of every fix sent, for the ledger check (scripts/loadgen/ledger.ts). */
  private readonly ledger = new PlayerLedger();
  /** Seqs of fixes sent and not yet answered. */
  private readonly inFlight = new Set<number>();
  /** The last fix the server acknowledged: re-sent at the end, its (duplicate) ack carries the committed score. */
  private lastAckedFix: Fix | undefined;
  private stopped = false;
  /** The player's credential, built once: grpc-js only reads call metadata (it clones it before adding its own). */
  private readonly metadata: Metadata;

  constructor(
    readonly playerId: string,
    private readonly client: HuntClient,
    private readonly token: string,
    private readonly walker: Walker,
    private readonly stats: LoadStats,
    private readonly fixIntervalMs: number,
    private readonly fixDeadlineMs: number,
  ) {
    this.metadata = new Metadata();
    this.metadata.set('authorization', `Bearer ${this.token}`);
  }

  /** Opens the event stream and starts the fix loop after `delayMs` (ramp-up). */
  start(delayMs: number): void {
    this.subscribe();
    this.timer = setTimeout(() => {
      this.sendFix();
      this.timer = setInterval(() => this.sendFix(), this.fixIntervalMs);
    }, delayMs);
  }

  private subscribe(): void {
    const personal = this.lastSeq.get(`user.${this.playerId}`) ?? 0;
    const cursors = [...this.lastSeq].filter(([c]) => !c.startsWith('user.')).map(([channel, afterSeq]) => ({ channel, afterSeq }));
    const stream = this.client.subscribe({ playerId: this.playerId, afterSeq: personal, cursors }, this.metadata);
    this.stream = stream;
    stream.on('data', (e: Event) => this.onEvent(e));
    stream.on('error', (err: { code?: number }) => {
      if (this.stopped || err.code === status.CANCELLED) return;
      this.stats.streamErrors++;
      // A phone reconnects and resumes from its cursor; so does the simulated one.
      setTimeout(() => !this.stopped && this.subscribe(), 500).unref();
    });
  }

  private onEvent(e: Event): void {
    const now = performance.now();
    this.stats.eventsReceived++;
    const last = this.lastSeq.get(e.channel);
    if (last !== undefined && e.prevSeq !== last && e.seq > last) this.stats.eventGaps++;
    if (last === undefined || e.seq > last) this.lastSeq.set(e.channel, e.seq);
    if (e.body?.$case === 'award') {
      const key = awardKey(e.body.value);
      const sentAt = this.awaitingEvent.get(key)?.shift();
      if (sentAt !== undefined) this.stats.recordFixToEvent(now - sentAt);
      else push(this.earlyEvents, key, now);
    }
  }

  private sendFix(): void {
    const now = Date.now();
    this.walker.advance(now);
    const readings = this.walker.readings();
    if (readings.length === 0) return;
    const clientSeq = ++this.seq;
    const sentAt = performance.now();
    this.stats.fixesSent++;
    const deadline = now + this.fixDeadlineMs;
    const fix: Fix = { playerId: this.playerId, clientSeq, clientTimeMs: now, readings, gps: undefined };
    this.inFlight.add(clientSeq);
    this.client.reportFix(fix, this.metadata, { deadline }, (err, ack?: FixAck) => {
      this.inFlight.delete(clientSeq);
      if (err) {
        const code = err.code ?? status.UNKNOWN;
        this.stats.countFailure(code, err.details);
        if (mightHaveApplied(code)) this.ledger.record({ seq: clientSeq, kind: 'unknown' }, this.inFlight);
        return;
      }
      this.stats.fixesAcked++;
      if (this.lastAckedFix === undefined || clientSeq > this.lastAckedFix.clientSeq) this.lastAckedFix = fix;
      this.stats.recordAck(performance.now() - sentAt);
      this.ledger.record({ seq: clientSeq, kind: 'acked', accepted: ack!.accepted, score: ack!.score, points: pointsOf(ack!.awards) }, this.inFlight);
      for (const award of ack!.awards) {
        const key = awardKey(award);
        const early = this.earlyEvents.get(key)?.shift();
        if (early !== undefined) this.stats.recordFixToEvent(early - sentAt);
        else push(this.awaitingEvent, key, sentAt);
      }
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.stream?.cancel();
  }

  /** Fixes sent and not yet answered (after `stop()`, the run waits for this to reach 0 before the final check). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** The loss check of this player's fixes against its committed score; a fix still unanswered counts as unknown. */
  check(committedScore: number | undefined): PlayerCheck {
    return this.ledger.check(committedScore, this.inFlight);
  }

  /**
   * The player's committed score, or undefined when no fix was ever acknowledged (nothing to compare it with). The
   * last acknowledged fix sent again is a duplicate (nothing changes) and its ack reports the profile's score (see
   * `ack()` in actors/hunt/player.ts). Not the leaderboard, which learns scores asynchronously.
   */
  committedScore(): Promise<number | undefined> {
    const fix = this.lastAckedFix;
    if (fix === undefined) return Promise.resolve(undefined);
    return new Promise((resolve, reject) =>
      this.client.reportFix({ ...fix, clientTimeMs: Date.now() }, this.metadata, (err, ack) => (err ? reject(err) : resolve(committedScoreOf(ack!)))),
    );
  }
}

/** One award as both its ack entry and its event carry it (a fix can earn two awards at one beacon). */
function awardKey(a: { beaconId: string; points: number; reason: string }): string {
  return `${a.beaconId}|${a.points}|${a.reason}`;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
