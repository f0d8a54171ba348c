/**
 * Per-beacon RSSI smoothing with an exponentially weighted moving average. We smooth RSSI (dBm), not distance:
 * RSSI noise is roughly Gaussian in dB, while distance is exponential in it, so averaging distances would be
 * dragged by single weak readings. The state lives in the player's session part: losing it costs a few fixes of
 * warm-up, never points.
 */

export interface SmoothedBeacon {
  readonly beaconId: string;
  /** Smoothed RSSI, dBm. */
  rssiDbm: number;
  /** Server time of the last reading of this beacon, ms since epoch. */
  heardAtMs: number;
}

export interface SmoothingConfig {
  /** Weight of the newest reading, in (0, 1]. */
  readonly alpha: number;
  /** A beacon not heard for this long starts over from its next reading (the old average says nothing now). */
  readonly staleAfterMs: number;
  /** At most this many beacons are tracked per player (bounds session memory); the least recently heard go. */
  readonly maxBeacons: number;
}

/** Weight of the newest reading in the EWMA. @default 0.3 */
export const DEFAULT_SMOOTHING_ALPHA = 0.3;
/** How long a beacon's average stays valid without a reading, ms. @default 10000 */
export const DEFAULT_SMOOTHING_STALE_AFTER_MS = 10_000;
/** Beacons tracked per player session. @default 8 */
export const DEFAULT_SMOOTHING_MAX_BEACONS = 8;

export function ewma(previous: number, reading: number, alpha: number): number {
  return alpha * reading + (1 - alpha) * previous;
}

export interface RssiReading {
  readonly beaconId: string;
  readonly rssiDbm: number;
}

/**
 * Folds one fix's readings into the smoothing state, in place (it runs on every fix of every player, so it
 * allocates only for a newly heard beacon), and returns it.
 */
export function updateSmoothing(state: SmoothedBeacon[], readings: ReadonlyArray<RssiReading>, nowMs: number, config: SmoothingConfig): SmoothedBeacon[] {
  let kept = 0;
  for (let i = 0; i < state.length; i++) {
    const s = state[i]!;
    if (nowMs - s.heardAtMs < config.staleAfterMs) state[kept++] = s;
  }
  state.length = kept;
  for (const r of readings) {
    let entry: SmoothedBeacon | undefined;
    for (const s of state) {
      if (s.beaconId === r.beaconId) {
        entry = s;
        break;
      }
    }
    if (entry === undefined) state.push({ beaconId: r.beaconId, rssiDbm: r.rssiDbm, heardAtMs: nowMs });
    else {
      entry.rssiDbm = ewma(entry.rssiDbm, r.rssiDbm, config.alpha);
      entry.heardAtMs = nowMs;
    }
  }
  if (state.length > config.maxBeacons) {
    // Keep the most recently heard; among equals the strongest (the ones that can become "closest").
    state.sort((a, b) => b.heardAtMs - a.heardAtMs || b.rssiDbm - a.rssiDbm);
    state.length = config.maxBeacons;
  }
  return state;
}
