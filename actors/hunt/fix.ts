/**
 * A position fix as the player actor receives it (same fields as proto `Fix`, minus the player id, which is the
 * actor's key), and its validation. Validation is pure so the facade can reject garbage before it reaches an
 * actor, and the actor can check again without trusting its caller.
 */

export interface BleReading {
  readonly beaconId: string;
  readonly rssiDbm: number;
}

export interface GpsReading {
  readonly lat: number;
  readonly lon: number;
  readonly accuracyM: number;
}

export interface Fix {
  /** Increases with every fix a phone sends; duplicates and out-of-order fixes are ignored. Starts at 1. */
  readonly clientSeq: number;
  /** Phone wall clock, ms since epoch (recorded for the audit; the rules use server time). */
  readonly clientTimeMs: number;
  readonly readings: ReadonlyArray<BleReading>;
  readonly gps?: GpsReading;
}

export type InvalidFixReason =
  | 'badSeq'
  | 'badTime'
  | 'timeInFuture'
  | 'noReadings'
  | 'tooManyReadings'
  | 'unknownBeacon'
  | 'rssiNotFinite'
  | 'rssiOutOfRange'
  | 'badGps';

export class InvalidFixError extends Error {
  override readonly name = 'InvalidFixError';
  constructor(
    readonly reason: InvalidFixReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FixLimits {
  readonly minRssiDbm: number;
  readonly maxRssiDbm: number;
  /** How far the phone's clock may run ahead of the server's, ms. */
  readonly maxClockAheadMs: number;
  readonly maxReadings: number;
}

/** Weakest plausible BLE RSSI, dBm (below the noise floor of phone radios). @default -120 */
export const DEFAULT_MIN_RSSI_DBM = -120;
/** Strongest plausible BLE RSSI, dBm (a phone touching a beacon reads about -20). @default 0 */
export const DEFAULT_MAX_RSSI_DBM = 0;
/** Largest accepted lead of the client clock over the server clock, ms. @default 30000 */
export const DEFAULT_MAX_CLOCK_AHEAD_MS = 30_000;
/** Most BLE readings accepted in one fix. @default 64 */
export const DEFAULT_MAX_READINGS_PER_FIX = 64;

export const DEFAULT_FIX_LIMITS: FixLimits = {
  minRssiDbm: DEFAULT_MIN_RSSI_DBM,
  maxRssiDbm: DEFAULT_MAX_RSSI_DBM,
  maxClockAheadMs: DEFAULT_MAX_CLOCK_AHEAD_MS,
  maxReadings: DEFAULT_MAX_READINGS_PER_FIX,
};

/** Throws InvalidFixError naming the first problem; returns normally for a usable fix. */
export function validateFix(fix: Fix, isKnownBeacon: (id: string) => boolean, nowMs: number, limits: FixLimits = DEFAULT_FIX_LIMITS): void {
  if (!Number.isSafeInteger(fix.clientSeq) || fix.clientSeq < 1) {
    throw new InvalidFixError('badSeq', `clientSeq: expected an integer >= 1, got ${fix.clientSeq}`);
  }
  if (!Number.isFinite(fix.clientTimeMs)) throw new InvalidFixError('badTime', `clientTimeMs: expected a finite number, got ${fix.clientTimeMs}`);
  if (fix.clientTimeMs > nowMs + limits.maxClockAheadMs) {
    throw new InvalidFixError('timeInFuture', `clientTimeMs: ${fix.clientTimeMs - nowMs} ms ahead of the server clock (at most ${limits.maxClockAheadMs})`);
  }
  if (fix.readings.length === 0 && fix.gps === undefined) throw new InvalidFixError('noReadings', 'readings: expected at least one reading or a gps position');
  if (fix.readings.length > limits.maxReadings) {
    throw new InvalidFixError('tooManyReadings', `readings: ${fix.readings.length} readings, at most ${limits.maxReadings}`);
  }
  fix.readings.forEach((r, i) => {
    if (!isKnownBeacon(r.beaconId)) throw new InvalidFixError('unknownBeacon', `readings[${i}].beaconId: unknown beacon "${String(r.beaconId).slice(0, 64)}"`);
    if (typeof r.rssiDbm !== 'number' || !Number.isFinite(r.rssiDbm)) {
      throw new InvalidFixError('rssiNotFinite', `readings[${i}].rssiDbm: expected a finite number, got ${r.rssiDbm}`);
    }
    if (r.rssiDbm < limits.minRssiDbm || r.rssiDbm > limits.maxRssiDbm) {
      throw new InvalidFixError('rssiOutOfRange', `readings[${i}].rssiDbm: ${r.rssiDbm} outside [${limits.minRssiDbm}, ${limits.maxRssiDbm}]`);
    }
  });
  const g = fix.gps;
  if (g !== undefined) {
    const ok = Number.isFinite(g.lat) && Number.isFinite(g.lon) && Number.isFinite(g.accuracyM) && Math.abs(g.lat) <= 90 && Math.abs(g.lon) <= 180 && g.accuracyM >= 0;
    if (!ok) throw new InvalidFixError('badGps', `gps: expected lat in [-90, 90], lon in [-180, 180], accuracyM >= 0, got ${JSON.stringify(g)}`);
  }
}

/**
 * Duplicate and out-of-order detection. `lastSeq` is the highest sequence the player has seen (the larger of the
 * session's and the profile's, so a replayed fix that once changed the profile is refused even after the session
 * expired).
 */
export function isFreshSeq(clientSeq: number, lastSeq: number): boolean {
  return clientSeq > lastSeq;
}
