import { ownerOf, type Ring } from '../placement/ring.js';

/** Where a message for `(kind, key)` goes from this node. Pure, so the hop and quorum rules are table-tested. */
export type RouteDecision =
  | { readonly t: 'local' }
  | { readonly t: 'remote'; readonly to: string; readonly hops: number }
  | { readonly t: 'unavailable' }
  | { readonly t: 'hopLimit'; readonly hops: number };

/**
 * `hops` is how often a received message was already forwarded (`Envelope.hops`); `undefined` for a message that
 * enters the cluster here, whose first send is not a forward. A node that is not the owner by its ring forwards
 * with `hops + 1` while `hops < maxForwardHops`, so disagreeing rings cannot bounce a message forever.
 */
export function decideRoute(ring: Ring, selfId: string, kind: string, key: string, hops: number | undefined, maxForwardHops: number, serving: boolean): RouteDecision {
  if (!serving || ring.members.length === 0) return { t: 'unavailable' };
  const owner = ownerOf(ring, kind, key);
  if (owner === selfId) return { t: 'local' };
  if (hops === undefined) return { t: 'remote', to: owner, hops: 0 };
  if (hops >= maxForwardHops) return { t: 'hopLimit', hops };
  return { t: 'remote', to: owner, hops: hops + 1 };
}
