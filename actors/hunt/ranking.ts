/** Pure ranking helpers shared by leaderboard shards, the aggregator and the facade. */

export interface ScoreEntry {
  readonly playerId: string;
  readonly score: number;
}

/** Best first; equal scores by player id so every node ranks identically. */
export function compareEntries(a: ScoreEntry, b: ScoreEntry): number {
  return b.score - a.score || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0);
}

/** Sorts scores descending. A typed-array sort is native and numeric, several times faster than a comparator. */
export function sortDesc(scores: ArrayLike<number>): number[] {
  const a = Float64Array.from(scores).sort();
  const out = new Array<number>(a.length);
  for (let i = 0, j = a.length - 1; j >= 0; i++, j--) out[i] = a[j]!;
  return out;
}

/** Merges descending arrays into one descending array. */
export function mergeDesc(lists: ReadonlyArray<ReadonlyArray<number>>): number[] {
  let n = 0;
  for (const l of lists) n += l.length;
  const all = new Float64Array(n);
  let at = 0;
  for (const l of lists) for (let i = 0; i < l.length; i++) all[at++] = l[i]!;
  return sortDesc(all);
}

/** The best `topN` entries, best first: only entries at or above the N-th best score are compared. */
export function topEntries(entries: ReadonlyArray<ScoreEntry>, scoresDesc: ReadonlyArray<number>, topN: number): ScoreEntry[] {
  if (topN <= 0 || entries.length === 0) return [];
  const threshold = scoresDesc[Math.min(topN, scoresDesc.length) - 1]!;
  const out: ScoreEntry[] = [];
  for (const e of entries) if (e.score >= threshold) out.push(e);
  return out.sort(compareEntries).slice(0, topN);
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
