import type { ActorSystem, Clock } from '../runtime/types.js';
import type { HuntDefinition } from './definition.js';
import { InvalidFixError, validateFix, type Fix } from './fix.js';
import { huntKinds, type HuntKinds } from './kinds.js';
import type { AggregateView, FixAck, Leaderboard, PlayerView, TreasureList, Winner } from './messages.js';
import type { HuntOptionsInput } from './options.js';
import { rankOf } from './ranking.js';
import { shardOf } from './refs.js';

/** What the gateway passes in that is not the hunt's business: who sends, what time it is, where audit lives. */
export interface HuntGameDeps {
  readonly system: ActorSystem;
  readonly clock: Clock;
  /** Per-actor audit reader (the host's store); without it `auditTrail` is unavailable. */
  readonly audit?: AuditSource;
}

export interface AuditSource {
  readAudit(kind: string, key: string, limit: number): ReadonlyArray<{ readonly id: number; readonly atMs: number; readonly entry: unknown }>;
}

export type InvalidRequestReason = 'badPlayerId' | 'unknownBuilding' | 'badTopN' | 'auditUnavailable';

export class InvalidHuntRequestError extends Error {
  override readonly name = 'InvalidHuntRequestError';
  constructor(
    readonly reason: InvalidRequestReason,
    message: string,
  ) {
    super(message);
  }
}

/** The actor validates again with its own clock (it may live on another node); its reason surfaces as ours. */
function actorsFixError(err: unknown): never {
  if (err instanceof Error && err.cause instanceof InvalidFixError) throw err.cause;
  throw err;
}

/** Player ids become notification channels (`user.<id>`), so they must be valid subject tokens. */
const PLAYER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The hunt as the gateway sees it. Create the kinds first (`huntKinds`), give `kinds.all` to the host, then
 * `new HuntGame(kinds, deps)`. Errors: InvalidFixError and InvalidHuntRequestError carry a
 * `reason` for the gRPC status (INVALID_ARGUMENT / NOT_FOUND).
 */
export class HuntGame {
  private view: AggregateView | null = null;
  private refreshing: Promise<AggregateView> | null = null;
  private readonly timer: unknown;

  constructor(
    readonly kinds: HuntKinds,
    private readonly deps: HuntGameDeps,
  ) {
    // Half the staleness for the poll and half for the aggregator's cache age keeps the sum within the bound.
    this.timer = deps.clock.setInterval(() => {
      this.refreshLeaderboard().catch(() => {
        // A failed poll keeps the previous view; the next tick retries. Reads still answer, just older.
      });
    }, this.halfStalenessMs);
  }

  get hunt(): HuntDefinition {
    return this.kinds.index.hunt;
  }

  private get halfStalenessMs(): number {
    return Math.max(1, Math.floor(this.kinds.options.leaderboardStalenessMs / 2));
  }

  /** Rejects with InvalidFixError (with `reason`) for a fix that is malformed or names an unknown beacon. */
  // Not `async`: a promise chain of one `catch` is the cheapest shape for the hottest call (bench gateway).
  reportFix(playerId: string, fix: Fix): Promise<FixAck> {
    let asked: Promise<FixAck>;
    try {
      checkPlayerId(playerId);
      validateFix(fix, (id) => this.kinds.index.beacons.has(id), this.deps.clock.now(), this.kinds.options.fixLimits);
      const { system } = this.deps;
      asked = system.ask(system.ref(this.kinds.player, playerId), { type: 'fix', fix }) as Promise<FixAck>;
    } catch (err) {
      return Promise.reject(err);
    }
    return asked.catch(actorsFixError);
  }

  async profile(playerId: string): Promise<PlayerView> {
    checkPlayerId(playerId);
    const { system } = this.deps;
    return (await system.ask(system.ref(this.kinds.player, playerId), { type: 'profile' })) as PlayerView;
  }

  async treasureList(buildingId: string): Promise<TreasureList> {
    if (!this.kinds.index.buildings.has(buildingId)) throw new InvalidHuntRequestError('unknownBuilding', `buildingId: unknown building "${buildingId.slice(0, 64)}"`);
    const { system } = this.deps;
    return (await system.ask(system.ref(this.kinds.building, buildingId), { type: 'list' })) as TreasureList;
  }

  winner(): Promise<Winner | null> {
    const { system } = this.deps;
    return system.ask(system.ref(this.kinds.game, this.kinds.index.hunt.id), { type: 'winner' }) as Promise<Winner | null>;
  }

  /** Top N and the player's own rank, at most `leaderboardStalenessMs` behind the scores. */
  async leaderboard(playerId: string, topN: number): Promise<Leaderboard> {
    checkPlayerId(playerId);
    const max = this.kinds.options.leaderboardMaxTopN;
    if (!Number.isInteger(topN) || topN < 1 || topN > max) throw new InvalidHuntRequestError('badTopN', `topN: expected an integer in [1, ${max}], got ${topN}`);
    const { system } = this.deps;
    const shard = system.ref(this.kinds.shard, String(shardOf(playerId, this.kinds.options.leaderboardShards)));
    const [view, own] = await Promise.all([this.view ?? this.refreshLeaderboard(), system.ask(shard, { type: 'get', playerId }) as Promise<number | null>]);
    const top = view.top.slice(0, topN).map((e) => ({ playerId: e.playerId, score: e.score, rank: rankOf(view.scoresDesc, e.score) }));
    const ownScore = own ?? 0;
    return { top, own: { playerId, score: ownScore, rank: rankOf(view.scoresDesc, ownScore) }, asOfMs: view.asOfMs };
  }

  /** Pulls a fresh aggregate (the timer does this every `leaderboardStalenessMs / 2`); concurrent calls share one ask. */
  refreshLeaderboard(): Promise<AggregateView> {
    if (this.refreshing) return this.refreshing;
    const { system } = this.deps;
    const p = (system.ask(system.ref(this.kinds.aggregator, 'global'), { type: 'view', maxAgeMs: this.halfStalenessMs }) as Promise<AggregateView>)
      .then((v) => {
        this.view = v;
        return v;
      })
      .finally(() => {
        this.refreshing = null;
      });
    this.refreshing = p;
    return p;
  }

  /** A player's awards, claims and achievements, oldest first: "why did I lose 450 points?". */
  auditTrail(playerId: string, limit = 1_000): Array<{ atMs: number; entry: Record<string, unknown> }> {
    checkPlayerId(playerId);
    if (!this.deps.audit) throw new InvalidHuntRequestError('auditUnavailable', 'no audit source was given to HuntGame');
    return this.deps.audit.readAudit(this.kinds.player.name, playerId, limit).map((r) => ({ atMs: r.atMs, entry: r.entry as Record<string, unknown> }));
  }

  close(): void {
    this.deps.clock.clearInterval(this.timer);
  }
}

function checkPlayerId(playerId: string): void {
  if (typeof playerId !== 'string' || !PLAYER_ID.test(playerId)) {
    throw new InvalidHuntRequestError('badPlayerId', `playerId: expected 1-64 letters, digits, _ or -, got "${String(playerId).slice(0, 64)}"`);
  }
}

export { huntKinds };
export type { HuntOptionsInput };
