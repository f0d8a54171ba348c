/**
 * How a node enters its cluster: gossip binds, advertises the node's gRPC address in its metadata, and tries the
 * seeds; routing starts only once a seed admitted the node (at once without seeds). Until then it keeps trying and
 * serves nobody, and gives up with `JoinTimeoutError` after `cluster.joinTimeoutMs`.
 */
import type { Logger } from '../actors/runtime/types.js';
import { deferred } from '../actors/runtime/deferred.js';
import type { Membership } from '../cluster/membership/membership.js';
import type { MemberChange, MemberSource } from '../cluster/routing/members.js';

/** Pause between two rounds of join attempts (each lasts the membership preset's `joinTimeoutMs`), in ms. @default 1000 */
export const JOIN_RETRY_PAUSE_MS = 1_000;

/** No seed admitted this node within `cluster.joinTimeoutMs` (wrong `cluster.key`, or seeds unreachable). */
export class JoinTimeoutError extends Error {
  override readonly name = 'JoinTimeoutError';
  constructor(readonly seeds: readonly string[], readonly joinTimeoutMs: number) {
    super(`no seed admitted this node within cluster.joinTimeoutMs (${joinTimeoutMs} ms): ${seeds.join(', ')}; check cluster.key and that the seeds are reachable`);
  }
}

export interface Joiner {
  /** Resolves once a seed admitted this node (or it started a cluster) and routing started. */
  readonly joined: Promise<void>;
  /** Tries `seeds` once; without an answer keeps trying in the background until `joinTimeoutMs`. */
  join(membership: Membership, seeds: string[]): Promise<void>;
}

/** `startRouting` runs once, when the node is in a cluster. */
export function joiner(o: { joinTimeoutMs: number; logger: Logger; startRouting(): void }): Joiner {
  const joined = deferred<void>();
  const startedAtMs = Date.now();
  const admitted = (seeds: string[], answered: number): void => {
    if (seeds.length > 0) o.logger.info({ event: 'joined', seeds, answered }, 'joined');
    o.startRouting();
    joined.resolve();
  };
  /** Retries the seeds until one admits this node, or rejects `joined` at `cluster.joinTimeoutMs`. */
  const keepJoining = async (membership: Membership, seeds: string[]): Promise<void> => {
    const deadlineMs = startedAtMs + o.joinTimeoutMs;
    const timer = setTimeout(() => joined.reject(new JoinTimeoutError(seeds, o.joinTimeoutMs)), Math.max(0, deadlineMs - Date.now()));
    // The servers keep a node's process alive; this timer alone must not keep a stopped one (or a test's) running.
    timer.unref();
    while (Date.now() < deadlineMs && membership.isRunning()) {
      const answered = await membership.join(seeds);
      if (answered === 0) await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_PAUSE_MS));
      if (answered === 0 || Date.now() >= deadlineMs) continue;
      clearTimeout(timer);
      admitted(seeds, answered);
      return;
    }
  };
  return {
    joined: joined.promise,
    async join(membership, seeds) {
      if (seeds.length === 0) return admitted(seeds, 0);
      const answered = await membership.join(seeds);
      if (answered > 0) return admitted(seeds, answered);
      // Never a cluster of its own: a node told to join that serves alone splits the game in two.
      o.logger.warn(
        { event: 'join-failed', seeds, joinTimeoutMs: o.joinTimeoutMs },
        'no seed admitted this node: check that cluster.key is the seeds\' (a seed drops packets signed with another key and logs gossip-refused with this node\'s address) and that they are reachable; not serving until joined, retrying',
      );
      void keepJoining(membership, seeds);
    },
  };
}

/** The router is built before membership exists (the gRPC port it advertises is not bound yet). */
export class DeferredMembers implements MemberSource {
  membership: Membership | undefined;

  /** `linkHeardMs(id)`: when bytes last came from `id` over the node links, which renew the lease as gossip does. */
  constructor(private readonly linkHeardMs: (id: string) => number | undefined = () => undefined) {}

  liveMemberIds(): string[] {
    return this.membership?.liveMembers().map((m) => m.id) ?? [];
  }

  onChange(listener: (change: MemberChange) => void): () => void {
    if (!this.membership) throw new Error('DeferredMembers.onChange before join: the router starts after membership');
    return this.membership.events.on((e) => listener({ id: e.id, state: e.type }));
  }

  onDeclaredDead(listener: () => void): () => void {
    if (!this.membership) throw new Error('DeferredMembers.onDeclaredDead before join: the router starts after membership');
    return this.membership.onDeclaredDead(listener);
  }

  /** The later of the last gossip packet and the last link bytes from `id`: under load the links never go quiet. */
  lastHeardMs(id: string): number | undefined {
    const gossip = this.membership?.lastHeardMs(id);
    const link = this.linkHeardMs(id);
    return gossip === undefined ? link : link === undefined ? gossip : Math.max(gossip, link);
  }
}
