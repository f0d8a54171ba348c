import type { ActorRef, KindDef } from '../runtime/types.js';

/** A typed address built inside a handler (ActorContext has no `ref`; an address is just kind name and key). */
export function refTo<M, R>(kind: KindDef<any, M, R, any, any>, key: string): ActorRef<M, R> {
  return { kind: kind.name, key };
}

/** FNV-1a, 32 bit: spreads player ids over leaderboard shards the same way on every node. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(playerId: string, shards: number): number {
  return fnv1a32(playerId) % shards;
}
