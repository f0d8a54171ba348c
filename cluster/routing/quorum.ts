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
 * Why a graceful leave of `self` would take the cluster's service away, or undefined when it would not: the agreed set
 * after the leave is `agreed` without `self`, and it must still have a strict majority live. A node that does not
 * serve takes nothing away.
 */
export function leaveRefusal(self: string, agreed: ReadonlySet<string>, live: ReadonlySet<string>, serving: boolean): string | undefined {
  if (!serving) return undefined;
  const others = new Set([...agreed].filter((id) => id !== self));
  if (others.size === 0) return `${self} is the last serving member: after it leaves every player call fails with UNAVAILABLE`;
  const liveOthers = [...others].filter((id) => live.has(id));
  if (!hasQuorum(others, live)) {
    return `leaving breaks quorum: ${liveOthers.length} of the ${others.size} other agreed members are live (${[...others].sort().join(', ')}); more than half must be`;
  }
  return undefined;
}

/**
 * The agreed set after a membership change. Members that left gracefully drop out at once (their leave was
 * announced, not a failure); while the live view has quorum, new live members join it and members not live leave it
 * only once their failure is confirmed (`gone`, see `confirmedGone`); without quorum it stays as it was.
 */
export function nextAgreed(agreed: ReadonlySet<string>, live: ReadonlySet<string>, left: ReadonlySet<string>, gone: ReadonlySet<string>): Set<string> {
  const base = new Set([...agreed].filter((id) => !left.has(id)));
  if (base.size > 0 && !hasQuorum(base, live)) return base;
  const next = new Set(live);
  for (const id of base) if (!gone.has(id)) next.add(id);
  return next;
}

/** What a peer reports of itself (`$view`): to a node that is rejoining, or that wants a member's death confirmed. */
export interface PeerView {
  readonly serving: boolean;
  readonly agreed: readonly string[];
  /** The members it sees live (itself included). */
  readonly live: readonly string[];
  /**
   * True when it had dropped the asker from its agreed set on failure and has taken it back since, while the asker
   * has not rejoined: the asker's memory is older than the actors the majority served meanwhile (`MemberView`).
   */
  readonly rejoin?: boolean;
}

/** A `$view` request: the asker's state, or a notice that the receiver was dropped on failure and taken back. */
export type ViewRequest = { readonly rejoining: boolean } | { readonly removed: true } | null;

/**
 * Members of `agreed` that are not live here and that a strict majority of `agreed` also does not see live (this
 * node counts; a peer counts when it is live here and its latest view lacks the member). Only those leave the
 * agreed set (and the ring) on failure. Why: failure detection is local. In an asymmetric partition (b and c cannot
 * reach each other, both reach a), b would drop c and c would drop b, each keeping quorum with a; both would then
 * build rings that give them the other's keys, and a (asked by both, owning neither) would let both claim them.
 * With confirmation a, who sees both, vetoes both removals: the unreachable member's keys stay unavailable, not doubled.
 */
export function confirmedGone(self: string, agreed: ReadonlySet<string>, live: ReadonlySet<string>, views: ReadonlyMap<string, PeerView>): Set<string> {
  const gone = new Set<string>();
  for (const x of agreed) {
    if (live.has(x) || x === self) continue;
    let votes = 1;
    for (const [peer, v] of views) if (peer !== x && agreed.has(peer) && live.has(peer) && !v.live.includes(x)) votes++;
    if (votes * 2 > agreed.size) gone.add(x);
  }
  return gone;
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
