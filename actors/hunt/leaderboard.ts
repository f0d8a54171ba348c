import { defineKind, type KindDef } from '../runtime/types.js';
import type { AggregateView, AggregatorMsg, ShardEvent, ShardMsg, ShardReply, ShardSummary } from './messages.js';
import { compareEntries, mergeDesc, sortDesc, topEntries, type ScoreEntry } from './ranking.js';
import { refTo } from './refs.js';

/**
 * The leaderboard, eventually consistent and sharded so no single actor takes every score update:
 * - lb-shard/<n>: players hashed over `leaderboardShards` shards; each keeps its players' latest scores
 *   (journaled, so a restart keeps the board).
 * - leaderboard/global: builds the merged view from every shard's summary at most once per `maxAgeMs` and
 *   serves it; readers (the facade on each node) poll it and rank from their copy, so reads never queue on it.
 * Staleness: a reader's copy is at most one poll interval old, built from shard answers at most `maxAgeMs` old,
 * so polling every `leaderboardStalenessMs / 2` with `maxAgeMs = leaderboardStalenessMs / 2` bounds it.
 */
export interface ShardState {
  /** Player id → latest score. A Map: player ids are data, and `__proto__` must be a player like any other. */
  scores: Map<string, number>;
}

export type ShardKind = KindDef<ShardState, ShardMsg, ShardReply, ShardEvent>;
export type AggregatorKind = KindDef<Record<string, never>, AggregatorMsg, AggregateView>;

export function shardKind(topMax: number): ShardKind {
  // The last summary per state object (so per activation), until a score changes. The aggregator asks every shard
  // each `leaderboardStalenessMs / 2`; without this every quiet shard re-sorted all its scores each time, the node's
  // main background cost between fixes (bench gateway profile).
  const summaries = new WeakMap<ShardState, { topN: number; top: ScoreEntry[]; scoresDesc: number[] }>();
  return defineKind<ShardState, ShardMsg, ShardReply, ShardEvent>({
    name: 'lb-shard',
    // A shard's snapshot holds all its players' scores; taking one every 100 updates would re-serialise the whole
    // map every 100 awards. Replaying up to 2000 tiny score events on activation is cheaper.
    snapshotEveryMessages: 2_000,
    initialState: () => ({ scores: new Map() }),
    apply(state, e) {
      state.scores.set(e.playerId, e.score);
      return state;
    },
    handle(msg, ctx): ShardReply {
      switch (msg.type) {
        case 'score':
          if (ctx.state.scores.get(msg.playerId) !== msg.score) {
            summaries.delete(ctx.state);
            ctx.persist({ type: 'score', playerId: msg.playerId, score: msg.score });
          }
          return;
        case 'get':
          return ctx.state.scores.get(msg.playerId) ?? null;
        case 'summary': {
          const topN = Math.min(msg.topN, topMax);
          let last = summaries.get(ctx.state);
          if (last === undefined || last.topN !== topN) {
            const entries: ScoreEntry[] = [];
            for (const [playerId, score] of ctx.state.scores) entries.push({ playerId, score });
            const scoresDesc = sortDesc(entries.map((e) => e.score));
            last = { topN, top: topEntries(entries, scoresDesc, topN), scoresDesc };
            summaries.set(ctx.state, last);
          }
          // Unchanged scores are as current now as when they were sorted.
          const summary: ShardSummary = { top: last.top, scoresDesc: last.scoresDesc, asOfMs: ctx.now() };
          return summary;
        }
      }
    },
  });
}

export function aggregatorKind(shard: ShardKind, shards: number, topMax: number): AggregatorKind {
  // The last view is a cache, not state: losing it on passivation or a move only costs one rebuild.
  const cache = new Map<string, AggregateView>();
  // The shard summaries the last view was merged from: a shard answers with the same arrays while its scores are
  // unchanged (local shards; remote answers are copies), and then the merge and sort need not run again.
  const mergedFrom = new Map<string, ShardSummary[]>();
  return defineKind<Record<string, never>, AggregatorMsg, AggregateView>({
    name: 'leaderboard',
    initialState: () => ({}),
    async handle(msg, ctx): Promise<AggregateView> {
      const cached = cache.get(ctx.self.key);
      if (cached && ctx.now() - cached.asOfMs <= msg.maxAgeMs) return cached;
      const requests: Promise<ShardReply>[] = [];
      for (let i = 0; i < shards; i++) requests.push(ctx.ask(refTo(shard, String(i)), { type: 'summary', topN: topMax }));
      const summaries = (await Promise.all(requests)) as ShardSummary[];
      const asOfMs = Math.min(...summaries.map((s) => s.asOfMs));
      const previous = mergedFrom.get(ctx.self.key);
      const view: AggregateView =
        cached !== undefined && previous !== undefined && sameParts(previous, summaries)
          ? { top: cached.top, scoresDesc: cached.scoresDesc, asOfMs }
          : { top: summaries.flatMap((s) => s.top).sort(compareEntries).slice(0, topMax), scoresDesc: mergeDesc(summaries.map((s) => s.scoresDesc)), asOfMs };
      cache.set(ctx.self.key, view);
      mergedFrom.set(ctx.self.key, summaries);
      return view;
    },
  });
}

function sameParts(a: ShardSummary[], b: ShardSummary[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.top !== b[i]!.top || a[i]!.scoresDesc !== b[i]!.scoresDesc) return false;
  return true;
}
