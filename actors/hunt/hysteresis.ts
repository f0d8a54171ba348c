/**
 * Closest-beacon choice with hysteresis, so a player standing between two beacons does not flap.
 *
 * The rule, applied once per fix to the smoothed distances:
 * 1. Candidates are beacons within `maxDistanceM`; the best is the nearest (ties: smaller id, for determinism).
 * 2. With no current beacon, the best becomes current at once (entering needs no confirmation).
 * 3. Otherwise the best replaces the current one only if it is nearer by at least `marginM` (a current beacon
 *    not heard any more counts as infinitely far) on `confirmFixes` consecutive fixes. Any fix that breaks the
 *    streak (current is best again, the margin is not met, or a different challenger wins) resets it.
 * 4. With no candidate in range the current beacon stays: walking out of range is not a visit to anything.
 */

export interface ClosestState {
  readonly currentBeaconId: string | null;
  readonly challengerBeaconId: string | null;
  /** Consecutive fixes on which the challenger met the margin. */
  readonly challengerFixes: number;
}

export interface HysteresisConfig {
  readonly marginM: number;
  readonly confirmFixes: number;
  readonly maxDistanceM: number;
}

/** How much nearer a challenger must be than the current beacon, metres. @default 1.5 */
export const DEFAULT_HYSTERESIS_MARGIN_M = 1.5;
/** Consecutive fixes a challenger must win before it becomes current. @default 3 */
export const DEFAULT_HYSTERESIS_CONFIRM_FIXES = 3;
/** Beacons estimated farther than this are not candidates, metres. @default 15 */
export const DEFAULT_MAX_VISIT_DISTANCE_M = 15;

export const NO_CLOSEST: ClosestState = { currentBeaconId: null, challengerBeaconId: null, challengerFixes: 0 };

export interface BeaconDistance {
  readonly beaconId: string;
  readonly distanceM: number;
}

export function chooseClosest(state: ClosestState, distances: ReadonlyArray<BeaconDistance>, config: HysteresisConfig): ClosestState {
  let best: BeaconDistance | undefined;
  let currentM = Infinity;
  for (const d of distances) {
    if (d.beaconId === state.currentBeaconId) currentM = d.distanceM;
    if (d.distanceM > config.maxDistanceM) continue;
    if (!best || d.distanceM < best.distanceM || (d.distanceM === best.distanceM && d.beaconId < best.beaconId)) best = d;
  }
  if (!best) return state.challengerBeaconId === null ? state : { ...state, challengerBeaconId: null, challengerFixes: 0 };
  if (state.currentBeaconId === null) return { currentBeaconId: best.beaconId, challengerBeaconId: null, challengerFixes: 0 };
  if (best.beaconId === state.currentBeaconId || best.distanceM + config.marginM > currentM) {
    // Unchanged state is returned as is: this is the common case on every fix, so it allocates nothing.
    return state.challengerBeaconId === null ? state : { currentBeaconId: state.currentBeaconId, challengerBeaconId: null, challengerFixes: 0 };
  }
  const fixes = state.challengerBeaconId === best.beaconId ? state.challengerFixes + 1 : 1;
  if (fixes >= config.confirmFixes) return { currentBeaconId: best.beaconId, challengerBeaconId: null, challengerFixes: 0 };
  return { currentBeaconId: state.currentBeaconId, challengerBeaconId: best.beaconId, challengerFixes: fixes };
}
