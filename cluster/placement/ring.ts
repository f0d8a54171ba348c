import { createHash } from 'node:crypto';

/**
 * Consistent hashing of `(kind, key)` over the live members, with virtual nodes. Pure: the same member list
 * gives the same ring on every node, and `ring.checksum` lets two nodes tell cheaply that theirs differ.
 * A joining member only takes points from others (keys move only to it); a leaving one only gives its own away.
 */

/** Points each member gets on the ring; the per-member share's spread is about 1/sqrt(this). @default 1024 */
export const DEFAULT_VNODES_PER_MEMBER = 1024;

export interface Ring {
  /** Member ids, sorted. */
  readonly members: readonly string[];
  readonly vnodesPerMember: number;
  /** Ring positions, ascending. */
  readonly points: Uint32Array;
  /** `owners[i]` indexes `members` for `points[i]`. */
  readonly owners: Uint32Array;
  /** Hex digest of (vnodesPerMember, sorted members): equal checksums mean equal rings. */
  readonly checksum: string;
}

export class EmptyRingError extends Error {
  override readonly name = 'EmptyRingError';
  constructor() {
    super('the ring has no members');
  }
}

export class RingConfigError extends Error {
  override readonly name = 'RingConfigError';
}

/** murmur3's 32-bit finalizer: spreads nearby inputs over the whole 32-bit space. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, then fmix32. Fast enough for every routed message. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function keyHash(kind: string, key: string): number {
  return hash32(`${kind}\u0000${key}`);
}

export function buildRing(memberIds: Iterable<string>, vnodesPerMember = DEFAULT_VNODES_PER_MEMBER): Ring {
  if (!Number.isInteger(vnodesPerMember) || vnodesPerMember < 1) throw new RingConfigError(`vnodesPerMember: must be a positive integer, got ${vnodesPerMember}`);
  const members = [...new Set(memberIds)].sort();
  const total = members.length * vnodesPerMember;
  const entries = new Float64Array(total);
  // Pack (point, member index) in one number so one typed-array sort orders by point, then member id.
  for (let m = 0; m < members.length; m++) {
    const base = hash32(members[m]!);
    for (let v = 0; v < vnodesPerMember; v++) entries[m * vnodesPerMember + v] = fmix32(base ^ Math.imul(v + 1, 0x9e3779b9)) * 65536 + m;
  }
  entries.sort();
  const points = new Uint32Array(total);
  const owners = new Uint32Array(total);
  for (let i = 0; i < total; i++) {
    points[i] = Math.floor(entries[i]! / 65536);
    owners[i] = entries[i]! % 65536;
  }
  const checksum = createHash('sha256').update(`${vnodesPerMember}\n${members.join('\n')}`).digest('hex').slice(0, 16);
  return { members, vnodesPerMember, points, owners, checksum };
}

/** Index of the first point at or after `h`, wrapping to 0. */
function firstAtOrAfter(points: Uint32Array, h: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}

export function ownerOf(ring: Ring, kind: string, key: string): string {
  if (ring.members.length === 0) throw new EmptyRingError();
  return ring.members[ring.owners[firstAtOrAfter(ring.points, keyHash(kind, key))]!]!;
}

/** The owner, then the next distinct members clockwise: where replicas go. At most `n`, at most all members. */
export function successors(ring: Ring, kind: string, key: string, n: number): string[] {
  if (ring.members.length === 0) throw new EmptyRingError();
  const want = Math.min(n, ring.members.length);
  const out: string[] = [];
  const seen = new Set<number>();
  for (let i = firstAtOrAfter(ring.points, keyHash(kind, key)), steps = 0; out.length < want && steps < ring.points.length; i = (i + 1) % ring.points.length, steps++) {
    const m = ring.owners[i]!;
    if (!seen.has(m)) {
      seen.add(m);
      out.push(ring.members[m]!);
    }
  }
  return out;
}

/** Exact fraction of the hash space each member owns (the arc ending at each of its points). */
export function shares(ring: Ring): Map<string, number> {
  const out = new Map<string, number>(ring.members.map((m) => [m, 0]));
  const n = ring.points.length;
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? ring.points[n - 1]! - 2 ** 32 : ring.points[i - 1]!;
    const member = ring.members[ring.owners[i]!]!;
    out.set(member, out.get(member)! + (ring.points[i]! - prev) / 2 ** 32);
  }
  return out;
}
