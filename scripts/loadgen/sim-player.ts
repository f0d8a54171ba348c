import { status } from '@grpc/grpc-js';
import { Event, Fix, FixAck, HuntService, SubscribeRequest } from '../../proto/gen/hunt.js';
import { Walker } from '../sim/walker.js';
import { backoffDelayMs, DEFAULT_REFUSED_FIX_BACKOFF, DEFAULT_RESUBSCRIBE_BACKOFF, DEFAULT_STREAM_HEALTHY_AFTER_MS, fixesPausedUntilMs, streamFailuresAfter } from './backoff.js';
import { callHeaders, type CallStatus, type H2Channel, type ServerStreamCall } from './h2-channel.js';
import { DEFAULT_FAILOVER_BACKOFF, DEFAULT_NODE_DOWN_MS, failsOver, targetAfterFailure, type PlayerFailureTimes } from './failover.js';
import { committedScoreOf, mightHaveApplied, PlayerLedger, pointsOf, type PlayerCheck } from './ledger.js';
import type { LoadStats } from './stats.js';

/**
 * How long before its first fix a player opens its event stream. Players arrive over the ramp-up, as real ones do,
 * and each subscribes just before it starts sending: 20,000 streams opened at t=0 would be a burst no real hunt
 * sees (and one an overloaded node would refuse), yet the first fix's award event still finds the stream open.
 * @default 1000 ms
 */
export const STREAM_LEAD_MS = 1_000;

/**
 * One simulated phone: walks the hunt, sends a fix every `fixIntervalMs` as a unary gRPC call, keeps an event
 * stream open, and records what a player would notice: failed fixes, fix-to-event latency, sequence gaps. When the
 * server refuses it (overload), it backs off as a phone app should (scripts/loadgen/backoff.ts); when its node goes
 * away (UNAVAILABLE), it moves to the next node of its list, fixes and stream alike (scripts/loadgen/failover.ts).
 */
export class SimPlayer {
  private stream: ServerStreamCall | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
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
  /** Treasures the server's acks said this player claimed, for the claims check (testing/netns/invariants.ts). */
  readonly ackedClaims: string[] = [];
  /** The last fix the server acknowledged: re-sent at the end, its (duplicate) ack carries the committed score. */
  private lastAckedFix: Fix | undefined;
  private stopped = false;
  /** Event streams in a row that failed without delivering anything or staying open long (the resubscribe backoff). */
  private streamFailures = 0;
  /** Fixes in a row refused as overload, and until when the player sends none. */
  private refusedFixes = 0;
  private fixesPausedUntilMs = 0;
  /** The fix sent early on the next node after a failover, while it is pending. */
  private failoverTimer: NodeJS.Timeout | undefined;
  /** The index in `channels` of the node this player talks to now. */
  private target: number;
  /** When the last fix failed, and when the first ack after it came (scripts/loadgen/failover.ts). */
  /** Per target, until when this player skips it after its connection failed; allocated on the first such failure. */
  private downUntilMs: number[] | undefined;
  private readonly failures: PlayerFailureTimes = { lastFailureAtMs: undefined, sentAfterFailureAtMs: undefined, recoveredAtMs: undefined };
  /** Request headers, built once: the credential and, for fixes, the deadline as grpc-timeout. */
  private readonly fixHeaders;
  private readonly checkHeaders;
  private readonly subscribeHeaders;

  constructor(
    readonly playerId: string,
    /** One channel per node, in the order of the run's targets: the player's list of node addresses. */
    private readonly channels: readonly H2Channel[],
    /** The node it talks to first. */
    homeTarget: number,
    private readonly token: string,
    private readonly walker: Walker,
    private readonly stats: LoadStats,
    private readonly fixIntervalMs: number,
    private readonly fixDeadlineMs: number,
    /** Uniform in [0, 1): the backoff's jitter. */
    private readonly random: () => number = Math.random,
    /** The clientSeq of its first fix (see `LoadOptions.firstClientSeq`). */
    firstClientSeq = 1,
  ) {
    this.seq = firstClientSeq - 1;
    if (!(Number.isInteger(homeTarget) && homeTarget >= 0 && homeTarget < channels.length)) throw new RangeError(`homeTarget must index channels (0..${channels.length - 1}), got ${homeTarget}`);
    this.target = homeTarget;
    const authorization = `Bearer ${token}`;
    this.fixHeaders = callHeaders(HuntService.reportFix.path, authorization, fixDeadlineMs);
    this.checkHeaders = callHeaders(HuntService.reportFix.path, authorization);
    this.subscribeHeaders = callHeaders(HuntService.subscribe.path, authorization);
  }

  /** Opens the event stream (the worker does so `STREAM_LEAD_MS` before the player's first fix). */
  subscribe(): void {
    if (this.stopped) return;
    const personal = this.lastSeq.get(`user.${this.playerId}`) ?? 0;
    const cursors = [...this.lastSeq].filter(([c]) => !c.startsWith('user.')).map(([channel, afterSeq]) => ({ channel, afterSeq }));
    const request = SubscribeRequest.encode({ playerId: this.playerId, afterSeq: personal, cursors }).finish();
    const openedAtMs = Date.now();
    let delivered = false;
    const on = this.target;
    this.stream = this.channels[on]!.serverStream(this.subscribeHeaders, request, {
      onMessage: (m) => {
        delivered = true;
        this.onEvent(Event.decode(m));
      },
      onEnd: (failure) => {
        if (this.stopped || failure === undefined) return;
        this.stats.countStreamFailure(failure.code, failure.details);
        if (failsOver(failure.code)) this.failOver(failure, on, Date.now());
        // A phone reconnects and resumes from its cursor; so does the simulated one, after a backoff.
        this.streamFailures = streamFailuresAfter(this.streamFailures, { delivered, openMs: Date.now() - openedAtMs }, DEFAULT_STREAM_HEALTHY_AFTER_MS);
        this.streamTimer = setTimeout(() => this.subscribe(), backoffDelayMs(DEFAULT_RESUBSCRIBE_BACKOFF, this.streamFailures, this.random));
      },
    });
  }

  private onEvent(e: Event): void {
    const now = performance.now();
    this.stats.eventsReceived++;
    const last = this.lastSeq.get(e.channel);
    if (last !== undefined && e.prevSeq !== last && e.seq > last) this.stats.eventGaps++;
    if (last === undefined || e.seq > last) this.lastSeq.set(e.channel, e.seq);
    if (e.body?.$case === 'award') {
      // Every award event, whether it comes before or after its fix's ack; node and player share this machine's clock.
      this.stats.recordCommitToEvent(Date.now() - e.atMs);
      const key = awardKey(e.body.value);
      const sentAt = this.awaitingEvent.get(key)?.shift();
      if (sentAt !== undefined) this.stats.recordFixToEvent(now - sentAt);
      else push(this.earlyEvents, key, now);
    }
  }

  /** One tick of the fix loop (the worker's scheduler calls it every `fixIntervalMs`): sends a fix unless paused. */
  sendFix(): void {
    const now = Date.now();
    this.walker.advance(now);
    if (now < this.fixesPausedUntilMs) {
      this.stats.fixesPaused++;
      return;
    }
    const readings = this.walker.readings();
    const clientSeq = ++this.seq;
    const sentAt = performance.now();
    this.stats.fixesSent++;
    if (this.failures.lastFailureAtMs !== undefined) this.failures.sentAfterFailureAtMs ??= now;
    // Out of range of every beacon (between buildings) a phone still reports where it is, by GPS: every tick is a fix.
    const fix: Fix = { playerId: this.playerId, clientSeq, clientTimeMs: now, readings, gps: readings.length === 0 ? this.walker.gps() : undefined };
    this.inFlight.add(clientSeq);
    const on = this.target;
    this.channels[on]!.unary(this.fixHeaders, Fix.encode(fix).finish(), this.fixDeadlineMs, (failure, reply) => {
      this.inFlight.delete(clientSeq);
      if (failure !== undefined) return this.onFixFailed(clientSeq, failure, on, sentAt);
      const ack = FixAck.decode(reply!);
      if (this.failures.lastFailureAtMs !== undefined) this.failures.recoveredAtMs ??= Date.now();
      this.refusedFixes = 0;
      this.stats.fixesAcked++;
      if (!ack.accepted) this.stats.fixesNotAccepted++;
      if (this.lastAckedFix === undefined || clientSeq > this.lastAckedFix.clientSeq) this.lastAckedFix = fix;
      this.stats.recordAck(performance.now() - sentAt);
      this.ledger.record({ seq: clientSeq, kind: 'acked', accepted: ack.accepted, score: ack.score, points: pointsOf(ack.awards) }, this.inFlight);
      this.ackedClaims.push(...ack.claimedTreasures);
      for (const award of ack.awards) {
        const key = awardKey(award);
        const early = this.earlyEvents.get(key)?.shift();
        if (early !== undefined) this.stats.recordFixToEvent(early - sentAt);
        else push(this.awaitingEvent, key, sentAt);
      }
    });
  }

  private onFixFailed(clientSeq: number, failure: CallStatus, on: number, sentAt: number): void {
    const now = Date.now();
    this.stats.countFailure(failure.code, failure.details, now);
    if (failure.code === status.RESOURCE_EXHAUSTED) this.stats.recordRefusal(performance.now() - sentAt);
    this.failures.lastFailureAtMs = now;
    this.failures.recoveredAtMs = undefined;
    this.failures.sentAfterFailureAtMs = undefined;
    if (mightHaveApplied(failure.code)) this.ledger.record({ seq: clientSeq, kind: 'unknown' }, this.inFlight);
    if (failsOver(failure.code)) {
      // The node went away (or cannot serve): the next fix goes to the next node soon, not at the next tick, so a
      // dead node costs its players a reconnect rather than a fix interval. Ticks until then are held back.
      this.failOver(failure, on, now);
      this.refusedFixes++;
      if (this.failoverTimer !== undefined || this.stopped) return;
      const delayMs = backoffDelayMs(DEFAULT_FAILOVER_BACKOFF, this.refusedFixes, this.random);
      this.fixesPausedUntilMs = now + delayMs;
      this.failoverTimer = setTimeout(() => {
        this.failoverTimer = undefined;
        this.fixesPausedUntilMs = 0;
        if (!this.stopped) this.sendFix();
      }, delayMs);
    } else if (failure.code === status.RESOURCE_EXHAUSTED) {
      // The server is overloaded: the next fix waits, rather than adding to what it cannot take.
      this.refusedFixes++;
      this.fixesPausedUntilMs = fixesPausedUntilMs(now, this.fixIntervalMs, DEFAULT_REFUSED_FIX_BACKOFF, this.refusedFixes, this.random);
    }
  }

  /** Moves to the next node after a call on target `on` failed UNAVAILABLE; a node whose connection failed is skipped a while. */
  private failOver(failure: CallStatus, on: number, nowMs: number): void {
    if (failure.connectionLost) (this.downUntilMs ??= this.channels.map(() => 0))[on] = nowMs + DEFAULT_NODE_DOWN_MS;
    this.target = targetAfterFailure(this.target, on, this.channels.length, this.downUntilMs, nowMs);
  }

  /** When its last fix failed and when it was served again: read at the end of the window. */
  get failureTimes(): Readonly<PlayerFailureTimes> {
    return this.failures;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.streamTimer);
    clearTimeout(this.failoverTimer);
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
      this.channels[this.target]!.unary(this.checkHeaders, Fix.encode({ ...fix, clientTimeMs: Date.now() }).finish(), undefined, (failure, reply) =>
        failure !== undefined ? reject(new Error(`${status[failure.code]}: ${failure.details}`)) : resolve(committedScoreOf(FixAck.decode(reply!))),
      ),
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
