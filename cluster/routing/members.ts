import type { Membership } from '../membership/membership.js';

/** A member's state as the router cares: live members own actors; `left` ones leave the agreed set at once. */
export interface MemberChange {
  readonly id: string;
  readonly state: 'alive' | 'suspect' | 'dead' | 'left';
}

/** What the router needs of membership: the live member ids (this node included) and change events. */
export interface MemberSource {
  liveMemberIds(): string[];
  onChange(listener: (change: MemberChange) => void): () => void;
  /** A peer said this node is dead (`Membership.onDeclaredDead`); absent where membership cannot say. */
  onDeclaredDead?(listener: () => void): () => void;
  /** When this node last heard from `id` (ms on the node's clock); absent where membership cannot say. */
  lastHeardMs?(id: string): number | undefined;
}

export function membershipSource(m: Membership): MemberSource {
  return {
    liveMemberIds: () => m.liveMembers().map((x) => x.id),
    onChange: (listener) => m.events.on((e) => listener({ id: e.id, state: e.type })),
    onDeclaredDead: (listener) => m.onDeclaredDead(listener),
    lastHeardMs: (id) => m.lastHeardMs(id),
  };
}
