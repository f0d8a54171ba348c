/**
 * Keep-majority (pure). A node serves only while it sees a strict majority of the last agreed member set live;
 * the agreed set moves only on the serving side, so the two sides of a split cannot both serve.
 *
 * Why strict, where the issue says "fewer than half stops": with "at least half", a minority that detects its peers'
 * deaths one at a time shrinks its agreed set step by step (3 -> 2 -> 1, each step keeping half) and ends up
 * serving alone; and a 2|2 split would let both halves serve.
 */

/** True when `live` holds more than half of `agreed` (a member of `live` outside `agreed` does not count). */
export function hasQuorum(agreed: ReadonlySet<string>, live: ReadonlySet<string>): boolean {
  let seen = 0;
  for (const id of agreed) if (live.has(id)) seen++;
  return seen * 2 > agreed.size;
}

/**
 * The agreed set after a membership change. Members that left gracefully drop out at once (their leave was
 * announced, not a failure); otherwise the set becomes the live view only while that view has quorum.
 */
export function nextAgreed(agreed: ReadonlySet<string>, live: ReadonlySet<string>, left: ReadonlySet<string>): Set<string> {
  const base = new Set([...agreed].filter((id) => !left.has(id)));
  if (base.size === 0 || hasQuorum(base, live)) return new Set(live);
  return base;
}

/** What a peer reports of itself to a node that is rejoining (`$view`). */
export interface PeerView {
  readonly serving: boolean;
  readonly agreed: readonly string[];
}

/**
 * A node that lost quorum may serve again only with a view that holds every member that could be hosting actors,
 * because its claims ask only the members it sees. Its own agreed set is stale (the other side moved on without it),
 * so "a majority of it is live again" is not enough: seeing one peer of three would let it build a ring without the
 * third and take keys that the third still hosts. It rejoins when
 * - a serving peer vouches: every member of that peer's agreed set is live here; or
 * - nobody serves: every live peer answered and none serves, and every member of our last agreed set is live
 *   (the whole cluster lost quorum, e.g. a 1|1|1 split, and is whole again).
 * Returns the new agreed set (the live view), or `undefined` to keep waiting. `views` holds the latest answer of
 * each live peer; peers that did not answer are absent.
 */
export function rejoinAgreed(self: string, ownAgreed: ReadonlySet<string>, live: ReadonlySet<string>, views: ReadonlyMap<string, PeerView>): Set<string> | undefined {
  for (const [id, v] of views) if (live.has(id) && v.serving && v.agreed.every((m) => live.has(m))) return new Set(live);
  const peers = [...live].filter((id) => id !== self);
  if (peers.length === 0) return undefined;
  const nobodyServes = peers.every((id) => views.get(id)?.serving === false);
  if (nobodyServes && [...ownAgreed].every((m) => live.has(m))) return new Set(live);
  return undefined;
}
