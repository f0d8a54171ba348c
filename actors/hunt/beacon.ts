import { defineKind, type KindDef } from '../runtime/types.js';
import type { BuildingKind } from './building.js';
import type { HuntIndex } from './hunt-index.js';
import type { ClaimReply, VisitMsg, VisitReply } from './messages.js';
import { refTo } from './refs.js';
import { evaluateVisit, type Award } from './rules.js';

/**
 * beacon/<id>: evaluates its rules for a visit and answers with awards. It holds no state of its own: what a
 * player did before comes with the visit (from the player's profile), and treasure claims are decided by the
 * building. Serialising visits per beacon keeps "first K players to reach this beacon" in arrival order.
 */
export type BeaconKind = KindDef<Record<string, never>, VisitMsg, VisitReply>;

export function beaconKind(index: HuntIndex, building: BuildingKind): BeaconKind {
  return defineKind<Record<string, never>, VisitMsg, VisitReply>({
    name: 'beacon',
    initialState: () => ({}),
    async handle(msg, ctx): Promise<VisitReply> {
      const beacon = index.beacons.get(ctx.self.key);
      if (!beacon) return { inHunt: false, awards: [], claims: [], visitPoints: false };
      const outcome = evaluateVisit(index, beacon, { atMs: msg.atMs, firstVisit: msg.firstVisit, lastPointsAtMs: msg.lastPointsAtMs });
      const awards: Award[] = [...outcome.awards];
      const claims: string[] = [];
      for (const treasureId of outcome.treasureIds) {
        const reply = (await ctx.ask(refTo(building, beacon.buildingId), {
          type: 'claim',
          playerId: msg.playerId,
          treasureId,
          beaconId: beacon.id,
          fixSeq: msg.fixSeq,
          atMs: msg.atMs,
        })) as ClaimReply;
        if (reply.result !== 'granted') continue;
        claims.push(treasureId);
        const points = index.treasures.get(treasureId)?.points ?? 0;
        if (points !== 0) awards.push({ beaconId: beacon.id, points, reason: `treasure:${treasureId}` });
      }
      return { inHunt: outcome.inHunt, awards, claims, visitPoints: outcome.awards.length > 0 };
    },
  });
}
