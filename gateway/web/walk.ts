/**
 * "Walk" mode: the page stands in for a phone. From the marker's position it computes what a BLE scan would
 * hear with the log-distance path-loss model, rssi = txPower − 10·n·log10(d) + noise, and packs it into a fix.
 */
import type { BleReading, Fix } from '../../proto/gen/hunt.js';
import type { MapBeacon, MapPoint } from './hunt-map.js';

/**
 * Readings weaker than this are not "heard", in dBm (typical phone BLE sensitivity).
 * @default -95
 */
export const DEFAULT_SENSITIVITY_DBM = -95;
/**
 * Most readings put in one fix, strongest first; a real scan also reports a handful, not all 300 beacons.
 * @default 8
 */
export const DEFAULT_MAX_READINGS = 8;
/**
 * Standard deviation of the Gaussian noise added to each reading, in dB.
 * @default 1.5
 */
export const DEFAULT_NOISE_SIGMA_DB = 1.5;
/**
 * Distances below this are treated as this, in metres; the model diverges at 0 and no phone sits inside a beacon.
 * @default 0.5
 */
export const MIN_DISTANCE_M = 0.5;
/**
 * How far one arrow-key press moves the marker, in metres.
 * @default 5
 */
export const DEFAULT_STEP_M = 5;

export interface ScanOptions {
  readonly sensitivityDbm: number;
  readonly maxReadings: number;
  readonly noiseSigmaDb: number;
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  sensitivityDbm: DEFAULT_SENSITIVITY_DBM,
  maxReadings: DEFAULT_MAX_READINGS,
  noiseSigmaDb: DEFAULT_NOISE_SIGMA_DB,
};

export function distanceM(a: MapPoint, b: MapPoint): number {
  return Math.hypot(a.xM - b.xM, a.yM - b.yM);
}

/** Noise-free received strength at `distance` metres from a beacon, in dBm. */
export function pathLossRssiDbm(txPowerDbm: number, pathLossExponent: number, distance: number): number {
  return txPowerDbm - 10 * pathLossExponent * Math.log10(Math.max(distance, MIN_DISTANCE_M));
}

/** Standard normal sample from two uniform [0, 1) samples (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random(); // (0, 1], so log never sees 0
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** What a scan at `position` hears, strongest first, rounded to 0.1 dB like phone APIs report. */
export function simulateScan(
  position: MapPoint,
  beacons: readonly MapBeacon[],
  random: () => number,
  options: ScanOptions = DEFAULT_SCAN_OPTIONS,
): BleReading[] {
  const heard: BleReading[] = [];
  for (const beacon of beacons) {
    const clean = pathLossRssiDbm(beacon.txPowerDbm, beacon.pathLossExponent, distanceM(position, beacon.position));
    const rssi = Math.round((clean + options.noiseSigmaDb * gaussian(random)) * 10) / 10;
    if (rssi >= options.sensitivityDbm) heard.push({ beaconId: beacon.id, rssiDbm: rssi });
  }
  heard.sort((a, b) => b.rssiDbm - a.rssiDbm || (a.beaconId < b.beaconId ? -1 : 1));
  return heard.slice(0, options.maxReadings);
}

/**
 * Next client_seq: strictly increasing, and at least the wall clock, so a reloaded page (which forgot its
 * counter) still sends sequence numbers the server has not seen and does not drop as out of order.
 */
export function nextClientSeq(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs));
}

export function makeFix(playerId: string, clientSeq: number, nowMs: number, readings: BleReading[]): Fix {
  return { playerId, clientSeq, clientTimeMs: Math.floor(nowMs), readings, gps: undefined };
}

/**
 * Position estimate from a scan, as a phone without a server would guess it: centroid of the strongest
 * `k` beacons weighted by received power in milliwatts, so the nearest beacon dominates.
 */
export function estimatePosition(readings: readonly BleReading[], beaconsById: ReadonlyMap<string, MapBeacon>, k = 3): MapPoint | undefined {
  let sumW = 0;
  let x = 0;
  let y = 0;
  for (const r of readings.slice(0, k)) {
    const beacon = beaconsById.get(r.beaconId);
    if (beacon === undefined) continue;
    const w = 10 ** (r.rssiDbm / 10);
    sumW += w;
    x += w * beacon.position.xM;
    y += w * beacon.position.yM;
  }
  return sumW > 0 ? { xM: x / sumW, yM: y / sumW } : undefined;
}

const ARROWS: Readonly<Record<string, MapPoint>> = {
  ArrowUp: { xM: 0, yM: 1 },
  ArrowDown: { xM: 0, yM: -1 },
  ArrowLeft: { xM: -1, yM: 0 },
  ArrowRight: { xM: 1, yM: 0 },
};

/** The marker after an arrow key (north is up); undefined for any other key. */
export function stepFor(position: MapPoint, key: string, stepM = DEFAULT_STEP_M): MapPoint | undefined {
  const d = ARROWS[key];
  return d === undefined ? undefined : { xM: position.xM + d.xM * stepM, yM: position.yM + d.yM * stepM };
}
