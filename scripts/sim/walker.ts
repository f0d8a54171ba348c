import { seededRandom } from '../../actors/hunt/generator.js';

export { seededRandom };

/**
 * Simulated players for the demo and the load generator: each walks from beacon to beacon across the hunt and
 * "hears" the beacons around it, with RSSI from the same log-distance path-loss model the player actor inverts
 * (rssi = txPower − 10·n·log10(d)), plus Gaussian noise. Pure and seeded, so a run is reproducible.
 */

export interface SimBeacon {
  id: string;
  position: { xM: number; yM: number };
  txPowerDbm: number;
  pathLossExponent: number;
}

export interface WalkOptions {
  /** Walking speed. @default 1.4 m/s */
  speedMps: number;
  /** Beacons farther than this are not heard. @default 40 m */
  hearingRangeM: number;
  /** Standard deviation of RSSI noise. @default 2 dB */
  rssiNoiseDb: number;
  /** Most readings in one fix (strongest first), as a phone's scan window reports. @default 6 */
  maxReadingsPerFix: number;
  /** Time spent standing at each beacon before walking on. @default 20 s */
  dwellMs: number;
}

/** Weakest RSSI a phone reports; weaker advertisements are lost in its noise floor. @default -100 dBm */
export const PHONE_SENSITIVITY_DBM = -100;

/** Latitude and longitude of the walk's (0, 0) for GPS fixes; any point works, the server only validates it. */
const GPS_ORIGIN = { lat: 52.52, lon: 13.405 };
/** Metres per degree of latitude (and of longitude at the equator). */
const METRES_PER_DEGREE = 111_320;
/** Accuracy a simulated GPS reading claims, in metres. @default 8 */
const GPS_ACCURACY_M = 8;

export const DEFAULT_WALK_OPTIONS: WalkOptions = { speedMps: 1.4, hearingRangeM: 40, rssiNoiseDb: 2, maxReadingsPerFix: 6, dwellMs: 20_000 };

/** Expected RSSI at distance `dM`, clamped to ≥ 1 m: beacons hang on walls, a phone is never closer than its reference distance. */
export function rssiAt(beacon: SimBeacon, dM: number): number {
  return beacon.txPowerDbm - 10 * beacon.pathLossExponent * Math.log10(Math.max(dM, 1));
}

function gaussian(rand: () => number): number {
  // Box–Muller; 1 - rand() avoids log(0).
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export class Walker {
  private readonly rand: () => number;
  private from: SimBeacon;
  private to: SimBeacon;
  private legStartMs: number;
  /** The beacons within hearing range of some point of the current leg, in `beacons` order; undefined until needed. */
  private nearLeg: SimBeacon[] | undefined;
  x: number;
  y: number;

  constructor(
    private readonly beacons: readonly SimBeacon[],
    seed: number,
    startMs: number,
    private readonly options: WalkOptions = DEFAULT_WALK_OPTIONS,
  ) {
    if (beacons.length < 2) throw new RangeError('Walker needs at least 2 beacons');
    this.rand = seededRandom(seed);
    this.from = this.pick();
    this.to = this.pickOther(this.from);
    this.legStartMs = startMs;
    this.x = this.from.position.xM;
    this.y = this.from.position.yM;
  }

  /** Moves to where the walker is at `nowMs`: dwell at `from`, then walk straight to `to`, then pick the next. */
  advance(nowMs: number): void {
    for (;;) {
      const dx = this.to.position.xM - this.from.position.xM;
      const dy = this.to.position.yM - this.from.position.yM;
      const walkMs = (Math.hypot(dx, dy) / this.options.speedMps) * 1000;
      const elapsed = nowMs - this.legStartMs;
      if (elapsed < this.options.dwellMs) {
        this.x = this.from.position.xM;
        this.y = this.from.position.yM;
        return;
      }
      if (elapsed < this.options.dwellMs + walkMs) {
        const f = (elapsed - this.options.dwellMs) / walkMs;
        this.x = this.from.position.xM + dx * f;
        this.y = this.from.position.yM + dy * f;
        return;
      }
      this.legStartMs += this.options.dwellMs + walkMs;
      this.from = this.to;
      this.to = this.pickOther(this.from);
      this.nearLeg = undefined;
    }
  }

  /** What the phone hears now: the strongest readings within range, noisy. */
  /**
   * Where the phone's GPS puts it: the walk's metres as latitude and longitude around `GPS_ORIGIN` (the hunt's
   * map has no geodetic anchor; the server only validates a GPS reading). A phone out of range of every beacon,
   * between buildings, still sends its fix with this.
   */
  gps(): { lat: number; lon: number; accuracyM: number } {
    const lat = GPS_ORIGIN.lat + this.y / METRES_PER_DEGREE;
    return { lat, lon: GPS_ORIGIN.lon + this.x / (METRES_PER_DEGREE * Math.cos((GPS_ORIGIN.lat * Math.PI) / 180)), accuracyM: GPS_ACCURACY_M };
  }

  readings(): Array<{ beaconId: string; rssiDbm: number }> {
    const heard: Array<{ beaconId: string; rssiDbm: number }> = [];
    // Only the leg's neighbours can be in range: a fix looks at a handful of beacons instead of the whole hunt. The
    // test below is unchanged and the order is the same, so the same beacons draw the same noise as a full scan.
    this.nearLeg ??= beaconsNearSegment(this.beacons, this.from.position, this.to.position, this.options.hearingRangeM);
    for (const b of this.nearLeg) {
      const d = Math.hypot(b.position.xM - this.x, b.position.yM - this.y);
      if (d > this.options.hearingRangeM) continue;
      const rssiDbm = Math.round((rssiAt(b, d) + gaussian(this.rand) * this.options.rssiNoiseDb) * 10) / 10;
      if (rssiDbm >= PHONE_SENSITIVITY_DBM) heard.push({ beaconId: b.id, rssiDbm: Math.min(rssiDbm, 0) });
    }
    heard.sort((a, b) => b.rssiDbm - a.rssiDbm);
    return heard.slice(0, this.options.maxReadingsPerFix);
  }

  private pick(): SimBeacon {
    return this.beacons[Math.floor(this.rand() * this.beacons.length)]!;
  }

  /** Prefers a nearby beacon (players walk to the next room, not across town), so legs stay short. */
  private pickOther(from: SimBeacon): SimBeacon {
    let best: SimBeacon | undefined;
    let bestD = Infinity;
    for (let i = 0; i < 5; i++) {
      const c = this.pick();
      if (c === from) continue;
      const d = Math.hypot(c.position.xM - from.position.xM, c.position.yM - from.position.yM);
      if (d < bestD) {
        best = c;
        bestD = d;
      }
    }
    return best ?? this.beacons.find((b) => b !== from)!;
  }
}

/**
 * Slack added to the hearing range when picking a leg's neighbours, so that rounding in the segment distance can
 * never leave out a beacon the exact per-fix test would hear (a superset changes nothing). @default 1e-6 m
 */
const NEAR_LEG_SLACK_M = 1e-6;

/** The beacons within `rangeM` of the segment a–b, in their original order. */
export function beaconsNearSegment(beacons: readonly SimBeacon[], a: { xM: number; yM: number }, b: { xM: number; yM: number }, rangeM: number): SimBeacon[] {
  const dx = b.xM - a.xM;
  const dy = b.yM - a.yM;
  const lengthSq = dx * dx + dy * dy;
  const near: SimBeacon[] = [];
  for (const beacon of beacons) {
    const px = beacon.position.xM - a.xM;
    const py = beacon.position.yM - a.yM;
    const t = lengthSq === 0 ? 0 : Math.min(1, Math.max(0, (px * dx + py * dy) / lengthSq));
    if (Math.hypot(px - t * dx, py - t * dy) <= rangeM + NEAR_LEG_SLACK_M) near.push(beacon);
  }
  return near;
}
