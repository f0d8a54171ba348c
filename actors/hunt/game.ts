import { defineKind, type KindDef } from '../runtime/types.js';
import { ALL_CHANNEL, type GameEvent, type GameMsg, type GameReply } from './messages.js';

/**
 * game/<huntId>: decides the winner once. The first `complete` it handles wins; the decision is journaled
 * before anyone is told, and every later `complete` gets the same winner back.
 */
export interface GameState {
  winner: { playerId: string; decidedAtMs: number; fixSeq: number } | null;
}

export type GameKind = KindDef<GameState, GameMsg, GameReply, GameEvent>;

export function gameKind(): GameKind {
  return defineKind<GameState, GameMsg, GameReply, GameEvent>({
    name: 'game',
    initialState: () => ({ winner: null }),
    apply(state, e) {
      state.winner ??= { playerId: e.playerId, decidedAtMs: e.atMs, fixSeq: e.fixSeq };
      return state;
    },
    handle(msg, ctx): GameReply {
      if (msg.type === 'winner') {
        const w = ctx.state.winner;
        return w ? { playerId: w.playerId, decidedAtMs: w.decidedAtMs } : null;
      }
      if (!ctx.state.winner) {
        const atMs = ctx.now();
        ctx.persist({ type: 'winnerDecided', playerId: msg.playerId, fixSeq: msg.fixSeq, atMs });
        ctx.audit({ type: 'winner', playerId: msg.playerId, fixSeq: msg.fixSeq, atMs });
        ctx.emit(ALL_CHANNEL, { $case: 'winner', value: { playerId: msg.playerId, decidedAtMs: atMs } });
      }
      const w = ctx.state.winner!;
      return { winner: { playerId: w.playerId, decidedAtMs: w.decidedAtMs }, youWon: w.playerId === msg.playerId };
    },
  });
}
