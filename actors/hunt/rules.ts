import type { BeaconDef } from './definition.js';
import { windowOpen, type HuntIndex } from './hunt-index.js';

/**
 * The beacon rules engine: a pure function from (beacon rules, what the player's profile says about earlier
 * visits, server time) to awards and treasure claims to attempt. Same shape as proto `Award`.
 */
export interface Award {
  readonly beaconId: string;
  readonly points: number;
  readonly reason: string;
}

export interface VisitFacts {
  /** Server time of the visit, ms since epoch. */
  readonly atMs: number;
  /** True when the player's profile has no earlier visit to this beacon. */
  readonly firstVisit: boolean;
  /** When this beacon last gave the player visit points, or null. */
  readonly lastPointsAtMs: number | null;
}

export interface VisitOutcome {
  /** False outside the hunt window: nothing is awarded and the visit is not recorded. */
  readonly inHunt: boolean;
  readonly awards: Award[];
  /** Treasures this visit tries to claim (the building decides). */
  readonly treasureIds: string[];
}

/** Product of the multipliers of every window open at `atMs` for this beacon, and their ids. */
export function windowMultiplier(index: HuntIndex, beaconId: string, atMs: number): { multiplier: number; windowIds: string[] } {
  let multiplier = 1;
  const windowIds: string[] = [];
  for (const w of index.windows) {
    if (!windowOpen(index, w, atMs)) continue;
    if (w.beaconIds && !w.beaconIds.has(beaconId)) continue;
    multiplier *= w.multiplier;
    windowIds.push(w.id);
  }
  return { multiplier, windowIds };
}

export function evaluateVisit(index: HuntIndex, beacon: BeaconDef, facts: VisitFacts): VisitOutcome {
  if (facts.atMs < index.startMs || facts.atMs >= index.endMs) return { inHunt: false, awards: [], treasureIds: [] };
  const awards: Award[] = [];
  const treasureIds: string[] = [];
  for (const rule of beacon.rules) {
    if (rule.type === 'treasure') {
      treasureIds.push(rule.treasureId);
      continue;
    }
    let base: number;
    let reason: string;
    if (facts.firstVisit) {
      base = rule.firstVisitPoints;
      reason = 'first-visit';
    } else if (facts.lastPointsAtMs === null || facts.atMs - facts.lastPointsAtMs >= rule.repeatCooldownMinutes * 60_000) {
      base = rule.repeatVisitPoints;
      reason = 'repeat-visit';
    } else {
      continue;
    }
    if (base === 0) continue;
    const { multiplier, windowIds } = windowMultiplier(index, beacon.id, facts.atMs);
    // Round half away from zero so a doubled penalty mirrors a doubled bonus exactly.
    const points = Math.sign(base) * Math.round(Math.abs(base) * multiplier);
    awards.push({ beaconId: beacon.id, points, reason: windowIds.length ? `${reason} x${multiplier} (${windowIds.join(', ')})` : reason });
  }
  return { inHunt: true, awards, treasureIds };
}
