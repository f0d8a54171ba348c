import { defineKind, type ActorContext, type KindDef } from '../runtime/types.js';
import { meetsWinCondition, newAchievements, pruneRecent, type RecentVisit } from './achievements.js';
import type { BeaconKind } from './beacon.js';
import type { BuildingKind } from './building.js';
import { distanceFromRssiM } from './distance.js';
import { isFreshSeq, validateFix, type Fix } from './fix.js';
import type { GameKind } from './game.js';
import type { HuntIndex } from './hunt-index.js';
import { chooseClosest, NO_CLOSEST, type BeaconDistance, type ClosestState } from './hysteresis.js';
import type { ShardKind } from './leaderboard.js';
import { userChannel, type Award, type ClaimReply, type FixAck, type GameReply, type PlayerEvent, type PlayerMsg, type PlayerReply, type PlayerView } from './messages.js';
import type { HuntOptions } from './options.js';
import { refTo, shardOf } from './refs.js';
import { updateSmoothing, type SmoothedBeacon } from './smoothing.js';

/**
 * player/<id>. Profile (permanent, event-sourced): score, achievements, claims, visit history, last sequence
 * that changed it. Session (expires `sessionTtlMinutes` after the last fix): RSSI smoothing and current beacon.
 * A player who drops out of signal for less than the TTL resumes where they were; after it, they re-enter their
 * beacon from scratch, which awards nothing twice because first-visit and cooldowns live in the profile.
 */
export interface PlayerProfile {
  score: number;
  /** Highest client sequence of a fix that changed the profile. */
  lastSeq: number;
  achievements: string[];
  claims: string[];
  /**
   * Beacon id → when it last gave visit points (null: visited, never paid, e.g. a zero-point beacon). Presence means
   * visited. A Map because ids are data; no per-entry object, since this is most of a profile's memory.
   */
  visits: Map<string, number | null>;
  /** Visits still inside the widest `distinctBeaconsWithin` window. */
  recent: RecentVisit[];
  completedAtMs: number | null;
}

export interface PlayerSession {
  lastSeq: number;
  smoothed: SmoothedBeacon[];
  closest: ClosestState;
  buildingId: string | null;
}

export type PlayerKind = KindDef<PlayerProfile, PlayerMsg, PlayerReply, PlayerEvent, PlayerSession>;
type Ctx = ActorContext<PlayerProfile, PlayerEvent, PlayerSession>;

export interface PlayerDeps {
  readonly index: HuntIndex;
  readonly options: HuntOptions;
  readonly beacon: BeaconKind;
  readonly building: BuildingKind;
  readonly shard: ShardKind;
  readonly game: GameKind;
}

export function applyPlayerEvent(state: PlayerProfile, e: PlayerEvent, recentKeepMs: number): PlayerProfile {
  state.lastSeq = Math.max(state.lastSeq, e.fixSeq);
  switch (e.type) {
    case 'visited': {
      state.visits.set(e.beaconId, e.visitPoints ? e.atMs : (state.visits.get(e.beaconId) ?? null));
      for (const a of e.awards) state.score += a.points;
      for (const c of e.claims) if (!state.claims.includes(c)) state.claims.push(c);
      if (recentKeepMs > 0) state.recent = pruneRecent(state.recent, e.atMs, recentKeepMs).concat({ beaconId: e.beaconId, atMs: e.atMs });
      break;
    }
    case 'achieved':
      if (!state.achievements.includes(e.achievementId)) {
        state.achievements.push(e.achievementId);
        state.score += e.points;
      }
      break;
    case 'completed':
      state.completedAtMs ??= e.atMs;
      break;
  }
  return state;
}

export function playerKind(deps: PlayerDeps): PlayerKind {
  const { index, options } = deps;
  return defineKind<PlayerProfile, PlayerMsg, PlayerReply, PlayerEvent, PlayerSession>({
    name: 'player',
    initialState: () => ({ score: 0, lastSeq: 0, achievements: [], claims: [], visits: new Map(), recent: [], completedAtMs: null }),
    apply: (state, e) => applyPlayerEvent(state, e, index.recentVisitsKeepMs),
    session: {
      ttlMs: options.sessionTtlMinutes * 60_000,
      initial: () => ({ lastSeq: 0, smoothed: [], closest: NO_CLOSEST, buildingId: null }),
    },
    // A profile read (e.g. the edge learning a new stream's building) does not activate an idle player.
    readOnly: (msg) => msg.type === 'profile',
    handle(msg, ctx) {
      if (msg.type === 'profile') return view(ctx);
      return handleFix(deps, msg.fix, ctx);
    },
  });
}

function view(ctx: Ctx): PlayerView {
  const s = ctx.state;
  return {
    playerId: ctx.self.key,
    score: s.score,
    achievements: [...s.achievements],
    claims: [...s.claims],
    visitedBeacons: s.visits.size,
    lastSeq: s.lastSeq,
    completedAtMs: s.completedAtMs,
    session: {
      lastSeq: ctx.session.lastSeq,
      currentBeaconId: ctx.session.closest.currentBeaconId,
      buildingId: ctx.session.buildingId,
      trackedBeacons: ctx.session.smoothed.length,
    },
  };
}

/** Shared by every ack that has nothing to report (most of them); frozen so no caller can leak into another's. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

function ack(ctx: Ctx, accepted: boolean, awards: Award[] = NONE, achievements: string[] = NONE, claimedTreasures: string[] = NONE): FixAck {
  return { accepted, closestBeaconId: ctx.session.closest.currentBeaconId, score: ctx.state.score, awards, achievements, claimedTreasures };
}

function handleFix(deps: PlayerDeps, fix: Fix, ctx: Ctx): FixAck | Promise<FixAck> {
  const { index, options } = deps;
  const nowMs = ctx.now();
  validateFix(fix, (id) => index.beacons.has(id), nowMs, options.fixLimits);
  if (!isFreshSeq(fix.clientSeq, Math.max(ctx.session.lastSeq, ctx.state.lastSeq))) return ack(ctx, false);
  const session = ctx.session;
  session.lastSeq = fix.clientSeq;
  session.smoothed = updateSmoothing(session.smoothed, fix.readings, nowMs, options.smoothing);
  const distances: BeaconDistance[] = session.smoothed.map((s) => {
    const b = index.beacons.get(s.beaconId)!;
    return { beaconId: s.beaconId, distanceM: distanceFromRssiM(b.txPowerDbm, s.rssiDbm, b.pathLossExponent) };
  });
  const previous = session.closest;
  session.closest = chooseClosest(previous, distances, options.hysteresis);
  const current = session.closest.currentBeaconId;
  ctx.session = session;
  if (current === null || current === previous.currentBeaconId) return ack(ctx, true);
  return visit(deps, ctx, current, fix, nowMs, previous);
}

async function visit(deps: PlayerDeps, ctx: Ctx, beaconId: string, fix: Fix, atMs: number, previous: ClosestState): Promise<FixAck> {
  const { index } = deps;
  const playerId = ctx.self.key;
  const user = userChannel(playerId);
  const buildingId = index.beacons.get(beaconId)!.buildingId;
  let outcome: { awards: Award[]; claims: string[]; visitPoints: boolean };
  try {
    const lastPointsAtMs = ctx.state.visits.get(beaconId);
    const reply = await ctx.ask(refTo(deps.beacon, beaconId), {
      type: 'visit',
      playerId,
      fixSeq: fix.clientSeq,
      atMs,
      firstVisit: lastPointsAtMs === undefined,
      lastPointsAtMs: lastPointsAtMs ?? null,
    });
    if (!reply.inHunt) return ack(ctx, true);
    outcome = { awards: [...reply.awards], claims: [], visitPoints: reply.awards.length > 0 };
    // The building decides, in the order claims reach it: exactly `capacity` succeed however many race.
    for (const treasureId of reply.treasureIds) {
      const claim = (await ctx.ask(refTo(deps.building, buildingId), { type: 'claim', playerId, treasureId, beaconId, fixSeq: fix.clientSeq, atMs })) as ClaimReply;
      // "alreadyClaimed" without the claim in the profile repairs a profile that missed a granted claim.
      const mine = claim.result === 'granted' || (claim.result === 'alreadyClaimed' && !ctx.state.claims.includes(treasureId));
      if (!mine) continue;
      outcome.claims.push(treasureId);
      const points = index.treasures.get(treasureId)?.points ?? 0;
      if (points !== 0) outcome.awards.push({ beaconId, points, reason: `treasure:${treasureId}` });
    }
  } catch (err) {
    // Nothing was recorded: step back so the next fix tries this visit again instead of treating it as done.
    ctx.session.closest = previous;
    throw err;
  }
  const { awards, claims } = outcome;
  if (ctx.session.buildingId !== buildingId) {
    ctx.session.buildingId = buildingId;
    ctx.emit(user, { $case: 'buildingEntered', value: buildingId });
  }
  const scoreBefore = ctx.state.score;
  ctx.persist({ type: 'visited', beaconId, atMs, fixSeq: fix.clientSeq, awards, claims, visitPoints: outcome.visitPoints });
  let running = scoreBefore;
  for (const a of awards) {
    running += a.points;
    ctx.audit({ type: 'award', playerId, beaconId, points: a.points, reason: a.reason, fixSeq: fix.clientSeq, clientTimeMs: fix.clientTimeMs, atMs, scoreAfter: running });
  }
  for (const treasureId of claims) {
    ctx.audit({ type: 'claim', playerId, beaconId, treasureId, fixSeq: fix.clientSeq, clientTimeMs: fix.clientTimeMs, atMs });
  }
  const earned = new Set(ctx.state.achievements);
  const achieved = newAchievements(index, {
    atMs,
    hasVisited: (id) => ctx.state.visits.has(id),
    recent: ctx.state.recent,
    earned,
  });
  for (const a of achieved) {
    ctx.persist({ type: 'achieved', achievementId: a.id, points: a.points, atMs, fixSeq: fix.clientSeq });
    ctx.audit({ type: 'achievement', playerId, achievementId: a.id, points: a.points, fixSeq: fix.clientSeq, clientTimeMs: fix.clientTimeMs, atMs, scoreAfter: ctx.state.score });
    ctx.emit(user, { $case: 'achievement', value: a.id });
    if (a.points !== 0) awards.push({ beaconId, points: a.points, reason: `achievement:${a.id}` });
  }
  for (const a of awards) ctx.emit(user, { $case: 'award', value: a });
  if (ctx.state.score !== scoreBefore) {
    ctx.tell(refTo(deps.shard, String(shardOf(playerId, deps.options.leaderboardShards))), { type: 'score', playerId, score: ctx.state.score });
  }
  if (ctx.state.completedAtMs === null && meetsWinCondition(index.hunt.win, ctx.state.score, new Set(ctx.state.achievements))) {
    const decided = (await ctx.ask(refTo(deps.game, index.hunt.id), { type: 'complete', playerId, fixSeq: fix.clientSeq })) as Extract<GameReply, { youWon: boolean }>;
    ctx.persist({ type: 'completed', atMs, fixSeq: fix.clientSeq, won: decided.youWon });
  }
  return ack(ctx, true, awards, achieved.map((a) => a.id), claims);
}
