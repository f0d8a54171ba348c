import type { AchievementDef, HuntDefinition } from './definition.js';
import type { HuntIndex } from './hunt-index.js';

/** A visit remembered for windowed achievements. */
export interface RecentVisit {
  readonly beaconId: string;
  readonly atMs: number;
}

export interface AchievementFacts {
  readonly atMs: number;
  readonly hasVisited: (beaconId: string) => boolean;
  /** Visits within `index.recentVisitsKeepMs` of `atMs`, the current one included. */
  readonly recent: ReadonlyArray<RecentVisit>;
  readonly earned: ReadonlySet<string>;
}

export function isAchieved(index: HuntIndex, a: AchievementDef, facts: AchievementFacts): boolean {
  if (a.type === 'allBeaconsOfBuilding') {
    const ids = index.beaconIdsByBuilding.get(a.buildingId) ?? [];
    return ids.length > 0 && ids.every(facts.hasVisited);
  }
  const since = facts.atMs - a.withinMinutes * 60_000;
  const distinct = new Set<string>();
  for (const v of facts.recent) if (v.atMs > since) distinct.add(v.beaconId);
  return distinct.size >= a.count;
}

/** Achievements not yet earned that the facts now satisfy, in definition order. */
export function newAchievements(index: HuntIndex, facts: AchievementFacts): AchievementDef[] {
  const out: AchievementDef[] = [];
  for (const a of index.hunt.achievements) if (!facts.earned.has(a.id) && isAchieved(index, a, facts)) out.push(a);
  return out;
}

/** Drops visits too old to matter for any windowed achievement. */
export function pruneRecent(recent: ReadonlyArray<RecentVisit>, atMs: number, keepMs: number): RecentVisit[] {
  return recent.filter((v) => v.atMs > atMs - keepMs);
}

export function meetsWinCondition(win: HuntDefinition['win'], score: number, earned: ReadonlySet<string>): boolean {
  if (win.scoreAtLeast !== undefined && score < win.scoreAtLeast) return false;
  if (win.achievements !== undefined && !win.achievements.every((a) => earned.has(a))) return false;
  return true;
}
