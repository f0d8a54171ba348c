/** Pure ranking helpers shared by leaderboard shards, the aggregator and the facade. */

export interface ScoreEntry {
  readonly playerId: string;
  readonly score: number;
}

/** Best first; equal scores by player id so every node ranks identically. */
export function compareEntries(a: ScoreEntry, b: ScoreEntry): number {
  return b.score - a.score || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0);
}

/** Merges descending arrays into one descending array. */
export function mergeDesc(lists: ReadonlyArray<ReadonlyArray<number>>): number[] {
  const out: number[] = [];
  for (const l of lists) for (const x of l) out.push(x);
  return out.sort((a, b) => b - a);
}

/** Competition rank ("1224"): one more than the number of strictly higher scores. Binary search on descending scores. */
export function rankOf(scoresDesc: ReadonlyArray<number>, score: number): number {
  let lo = 0;
  let hi = scoresDesc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (scoresDesc[mid]! > score) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

/** Top N with competition ranks. */
export function rankTop(entries: ReadonlyArray<ScoreEntry>, topN: number): Array<ScoreEntry & { rank: number }> {
  const sorted = [...entries].sort(compareEntries).slice(0, topN);
  const out: Array<ScoreEntry & { rank: number }> = [];
  sorted.forEach((e, i) => {
    const rank = i > 0 && sorted[i - 1]!.score === e.score ? out[i - 1]!.rank : i + 1;
    out.push({ playerId: e.playerId, score: e.score, rank });
  });
  return out;
}
