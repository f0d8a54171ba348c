import { DEFAULT_FIX_LIMITS, type FixLimits } from './fix.js';
import {
  DEFAULT_HYSTERESIS_CONFIRM_FIXES,
  DEFAULT_HYSTERESIS_MARGIN_M,
  DEFAULT_MAX_VISIT_DISTANCE_M,
  type HysteresisConfig,
} from './hysteresis.js';
import {
  DEFAULT_SMOOTHING_ALPHA,
  DEFAULT_SMOOTHING_MAX_BEACONS,
  DEFAULT_SMOOTHING_STALE_AFTER_MS,
  type SmoothingConfig,
} from './smoothing.js';

/** A player's session (smoothing, current beacon) expires this long after their last fix, minutes. @default 30 */
export const DEFAULT_SESSION_TTL_MINUTES = 30;
/** Most the leaderboard may lag behind scores, ms (at most 2000). @default 1000 */
export const DEFAULT_LEADERBOARD_STALENESS_MS = 1_000;
/** Leaderboard shard actors a score update is hashed over. @default 16 */
export const DEFAULT_LEADERBOARD_SHARDS = 16;
/** Largest top-N a leaderboard query may ask for. @default 100 */
export const DEFAULT_LEADERBOARD_MAX_TOP_N = 100;

export interface HuntOptions {
  readonly sessionTtlMinutes: number;
  readonly leaderboardStalenessMs: number;
  readonly leaderboardShards: number;
  readonly leaderboardMaxTopN: number;
  readonly smoothing: SmoothingConfig;
  readonly hysteresis: HysteresisConfig;
  readonly fixLimits: FixLimits;
}

export type HuntOptionsInput = Partial<Omit<HuntOptions, 'smoothing' | 'hysteresis' | 'fixLimits'>> & {
  smoothing?: Partial<SmoothingConfig>;
  hysteresis?: Partial<HysteresisConfig>;
  fixLimits?: Partial<FixLimits>;
};

export class HuntOptionsError extends Error {
  override readonly name = 'HuntOptionsError';
  constructor(
    readonly key: string,
    readonly rule: string,
  ) {
    super(`hunt option ${key}: ${rule}`);
  }
}

function check(key: string, value: number, ok: boolean, rule: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok) throw new HuntOptionsError(key, `${rule} (got ${value})`);
}

/** Fills defaults and validates; throws HuntOptionsError naming the key and the rule. */
export function resolveHuntOptions(input: HuntOptionsInput = {}): HuntOptions {
  const o: HuntOptions = {
    sessionTtlMinutes: input.sessionTtlMinutes ?? DEFAULT_SESSION_TTL_MINUTES,
    leaderboardStalenessMs: input.leaderboardStalenessMs ?? DEFAULT_LEADERBOARD_STALENESS_MS,
    leaderboardShards: input.leaderboardShards ?? DEFAULT_LEADERBOARD_SHARDS,
    leaderboardMaxTopN: input.leaderboardMaxTopN ?? DEFAULT_LEADERBOARD_MAX_TOP_N,
    smoothing: {
      alpha: input.smoothing?.alpha ?? DEFAULT_SMOOTHING_ALPHA,
      staleAfterMs: input.smoothing?.staleAfterMs ?? DEFAULT_SMOOTHING_STALE_AFTER_MS,
      maxBeacons: input.smoothing?.maxBeacons ?? DEFAULT_SMOOTHING_MAX_BEACONS,
    },
    hysteresis: {
      marginM: input.hysteresis?.marginM ?? DEFAULT_HYSTERESIS_MARGIN_M,
      confirmFixes: input.hysteresis?.confirmFixes ?? DEFAULT_HYSTERESIS_CONFIRM_FIXES,
      maxDistanceM: input.hysteresis?.maxDistanceM ?? DEFAULT_MAX_VISIT_DISTANCE_M,
    },
    fixLimits: { ...DEFAULT_FIX_LIMITS, ...input.fixLimits },
  };
  check('sessionTtlMinutes', o.sessionTtlMinutes, o.sessionTtlMinutes > 0, 'must be > 0');
  check('leaderboardStalenessMs', o.leaderboardStalenessMs, o.leaderboardStalenessMs > 0 && o.leaderboardStalenessMs <= 2_000, 'must be in (0, 2000]');
  check('leaderboardShards', o.leaderboardShards, Number.isInteger(o.leaderboardShards) && o.leaderboardShards >= 1, 'must be an integer >= 1');
  check('leaderboardMaxTopN', o.leaderboardMaxTopN, Number.isInteger(o.leaderboardMaxTopN) && o.leaderboardMaxTopN >= 1, 'must be an integer >= 1');
  check('smoothing.alpha', o.smoothing.alpha, o.smoothing.alpha > 0 && o.smoothing.alpha <= 1, 'must be in (0, 1]');
  check('smoothing.staleAfterMs', o.smoothing.staleAfterMs, o.smoothing.staleAfterMs > 0, 'must be > 0');
  check('smoothing.maxBeacons', o.smoothing.maxBeacons, Number.isInteger(o.smoothing.maxBeacons) && o.smoothing.maxBeacons >= 1, 'must be an integer >= 1');
  check('hysteresis.marginM', o.hysteresis.marginM, o.hysteresis.marginM >= 0, 'must be >= 0');
  check('hysteresis.confirmFixes', o.hysteresis.confirmFixes, Number.isInteger(o.hysteresis.confirmFixes) && o.hysteresis.confirmFixes >= 1, 'must be an integer >= 1');
  check('hysteresis.maxDistanceM', o.hysteresis.maxDistanceM, o.hysteresis.maxDistanceM > 0, 'must be > 0');
  check('fixLimits.minRssiDbm', o.fixLimits.minRssiDbm, o.fixLimits.minRssiDbm < o.fixLimits.maxRssiDbm, 'must be < fixLimits.maxRssiDbm');
  check('fixLimits.maxClockAheadMs', o.fixLimits.maxClockAheadMs, o.fixLimits.maxClockAheadMs > 0, 'must be > 0');
  check('fixLimits.maxReadings', o.fixLimits.maxReadings, Number.isInteger(o.fixLimits.maxReadings) && o.fixLimits.maxReadings >= 1, 'must be an integer >= 1');
  return o;
}
