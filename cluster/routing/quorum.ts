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
