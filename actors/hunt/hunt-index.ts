import type { AchievementDef, BeaconDef, BuildingDef, HuntDefinition, TreasureDef } from './definition.js';

/** A time window: absolute (`startMs`..`endMs`) or daily (`dailyStartMin`..`dailyEndMin` minutes into the local day). */
export interface WindowIndex {
  readonly id: string;
  readonly multiplier: number;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly dailyStartMin?: number;
  readonly dailyEndMin?: number;
  readonly beaconIds?: ReadonlySet<string>;
}

/** Lookup tables over a validated hunt, built once and shared (read-only) by every actor of the hunt. */
export interface HuntIndex {
  readonly hunt: HuntDefinition;
  readonly startMs: number;
  readonly endMs: number;
  /** Hunt local time minus UTC, ms. */
  readonly utcOffsetMs: number;
  readonly beacons: ReadonlyMap<string, BeaconDef>;
  readonly buildings: ReadonlyMap<string, BuildingDef>;
  readonly beaconIdsByBuilding: ReadonlyMap<string, ReadonlyArray<string>>;
  readonly treasures: ReadonlyMap<string, TreasureDef & { buildingId: string }>;
  readonly achievements: ReadonlyMap<string, AchievementDef>;
  readonly windows: ReadonlyArray<WindowIndex>;
  /** How long a visit must be remembered for `distinctBeaconsWithin` achievements, ms (0 when there are none). */
  readonly recentVisitsKeepMs: number;
}

export function indexHunt(hunt: HuntDefinition): HuntIndex {
  const beaconIdsByBuilding = new Map<string, string[]>();
  for (const b of hunt.beacons) {
    let list = beaconIdsByBuilding.get(b.buildingId);
    if (!list) beaconIdsByBuilding.set(b.buildingId, (list = []));
    list.push(b.id);
  }
  const treasures = new Map<string, TreasureDef & { buildingId: string }>();
  for (const b of hunt.buildings) for (const t of b.treasures) treasures.set(t.id, { ...t, buildingId: b.id });
  let recentVisitsKeepMs = 0;
  for (const a of hunt.achievements) {
    if (a.type === 'distinctBeaconsWithin') recentVisitsKeepMs = Math.max(recentVisitsKeepMs, a.withinMinutes * 60_000);
  }
  return {
    hunt,
    startMs: Date.parse(hunt.start),
    endMs: Date.parse(hunt.end),
    beacons: new Map(hunt.beacons.map((b) => [b.id, b])),
    buildings: new Map(hunt.buildings.map((b) => [b.id, b])),
    beaconIdsByBuilding,
    treasures,
    achievements: new Map(hunt.achievements.map((a) => [a.id, a])),
    utcOffsetMs: parseOffsetMs(hunt.utcOffset),
    windows: hunt.windows.map((w) => ({
      id: w.id,
      multiplier: w.multiplier,
      ...(w.start !== undefined && w.end !== undefined ? { startMs: Date.parse(w.start), endMs: Date.parse(w.end) } : {}),
      ...(w.dailyStart !== undefined && w.dailyEnd !== undefined ? { dailyStartMin: clockMinutes(w.dailyStart), dailyEndMin: clockMinutes(w.dailyEnd) } : {}),
      ...(w.beaconIds ? { beaconIds: new Set(w.beaconIds) } : {}),
    })),
    recentVisitsKeepMs,
  };
}

function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function parseOffsetMs(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * clockMinutes(offset.slice(1)) * 60_000;
}

/** True when the window is open at `atMs` (start inclusive, end exclusive). */
export function windowOpen(index: HuntIndex, w: WindowIndex, atMs: number): boolean {
  if (w.startMs !== undefined && w.endMs !== undefined) return atMs >= w.startMs && atMs < w.endMs;
  const local = atMs + index.utcOffsetMs;
  const minuteOfDay = Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
  return minuteOfDay >= w.dailyStartMin! && minuteOfDay < w.dailyEndMin!;
}
