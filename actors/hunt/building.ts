import { defineKind, type KindDef } from '../runtime/types.js';
import type { HuntIndex } from './hunt-index.js';
import { buildingChannel, type BuildingEvent, type BuildingMsg, type BuildingReply, type ClaimReply, type TreasureList } from './messages.js';

/**
 * building/<id>: owns its treasure list. Every claim of the building's treasures is decided here, one message at
 * a time, so exactly `capacity` claims of an item succeed however many players race for it.
 */
export interface BuildingState {
  /** Increases with every change (proto `TreasureList.version`). */
  version: number;
  /** Treasure id → players who claimed it, in order. A Map: ids are data, and `constructor` must not find Object's. */
  claims: Map<string, string[]>;
}

export type BuildingKind = KindDef<BuildingState, BuildingMsg, BuildingReply, BuildingEvent>;

export function treasureList(index: HuntIndex, buildingId: string, state: BuildingState): TreasureList {
  const def = index.buildings.get(buildingId);
  return {
    buildingId,
    version: state.version,
    treasures: (def?.treasures ?? []).map((t) => ({ id: t.id, name: t.name, capacity: t.capacity, claimedBy: [...(state.claims.get(t.id) ?? [])] })),
  };
}

export function buildingKind(index: HuntIndex): BuildingKind {
  return defineKind<BuildingState, BuildingMsg, BuildingReply, BuildingEvent>({
    name: 'building',
    initialState: () => ({ version: 0, claims: new Map() }),
    apply(state, e) {
      const list = state.claims.get(e.treasureId);
      if (list) list.push(e.playerId);
      else state.claims.set(e.treasureId, [e.playerId]);
      state.version += 1;
      return state;
    },
    handle(msg, ctx): BuildingReply {
      const buildingId = ctx.self.key;
      if (msg.type === 'list') return treasureList(index, buildingId, ctx.state);
      const t = index.treasures.get(msg.treasureId);
      let result: ClaimReply['result'];
      const claimed = ctx.state.claims.get(msg.treasureId) ?? [];
      if (!t || t.buildingId !== buildingId) result = 'unknownTreasure';
      else if (claimed.includes(msg.playerId)) result = 'alreadyClaimed';
      else if (claimed.length >= t.capacity) result = 'soldOut';
      else {
        result = 'granted';
        ctx.persist({ type: 'claimed', treasureId: msg.treasureId, playerId: msg.playerId, beaconId: msg.beaconId, fixSeq: msg.fixSeq, atMs: msg.atMs });
      }
      ctx.audit({ type: 'claim', playerId: msg.playerId, treasureId: msg.treasureId, beaconId: msg.beaconId, fixSeq: msg.fixSeq, atMs: msg.atMs, result });
      const list = treasureList(index, buildingId, ctx.state);
      if (result === 'granted') ctx.emit(buildingChannel(buildingId), { $case: 'treasureList', value: list });
      return { result, treasureList: list };
    },
  });
}
