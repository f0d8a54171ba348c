import { defineKind, type KindDef } from '../runtime/types.js';
import type { HuntIndex } from './hunt-index.js';
import type { VisitMsg, VisitReply } from './messages.js';
import { evaluateVisit } from './rules.js';

/**
 * beacon/<id>: evaluates its rules for a visit and answers with awards and the treasures the visitor may try to
 * claim. It holds no state of its own: what the player did before comes with the visit (from the player's
 * profile). Claims are decided by the building, not here, so the beacon's handler stays synchronous and a burst of
 * visits is answered in one turn instead of one LMDB commit after another.
 */
export type BeaconKind = KindDef<Record<string, never>, VisitMsg, VisitReply>;

export function beaconKind(index: HuntIndex): BeaconKind {
  return defineKind<Record<string, never>, VisitMsg, VisitReply>({
    name: 'beacon',
    initialState: () => ({}),
    handle(msg, ctx): VisitReply {
      const beacon = index.beacons.get(ctx.self.key);
      if (!beacon) return { inHunt: false, awards: [], treasureIds: [] };
      return evaluateVisit(index, beacon, { atMs: msg.atMs, firstVisit: msg.firstVisit, lastPointsAtMs: msg.lastPointsAtMs });
    },
  });
}
