import type { Clock, Logger } from '../../actors/runtime/port.js';
import { RoutingConfigError } from './errors.js';

/** How often a message may be forwarded to a newer owner before it fails (`cluster.maxForwardHops`). @default 3 */
export const DEFAULT_MAX_FORWARD_HOPS = 3;
/** Copies of each actor's snapshot and journal, counting the owner (`cluster.replicationFactor`). @default 2 */
export const DEFAULT_REPLICATION_FACTOR = 2;
/** Actors the old owner drains per second after an ownership change (`cluster.handoffActorsPerSec`). @default 20000 */
export const DEFAULT_HANDOFF_ACTORS_PER_SEC = 20_000;
/** Deadline of a routed ask when the caller gives none, in ms. @default 5000 */
export const DEFAULT_ROUTED_ASK_TIMEOUT_MS = 5_000;
/** Deadline of one replication or handoff request to a peer, in ms. @default 5000 */
export const DEFAULT_PEER_REQUEST_TIMEOUT_MS = 5_000;

export type Durability = 'local' | 'replicated';

export interface RoutingOptions {
  maxForwardHops?: number;
  replicationFactor?: number;
  handoffActorsPerSec?: number;
  /** `local`: ack after the owner's commit; `replicated`: also after one replica committed it. @default 'local' */
  durability?: Durability;
  askTimeoutMs?: number;
  peerRequestTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface ResolvedRoutingOptions {
  readonly maxForwardHops: number;
  readonly replicationFactor: number;
  readonly handoffActorsPerSec: number;
  readonly durability: Durability;
  readonly askTimeoutMs: number;
  readonly peerRequestTimeoutMs: number;
}

export function resolveRoutingOptions(o: RoutingOptions): ResolvedRoutingOptions {
  const r: ResolvedRoutingOptions = {
    maxForwardHops: o.maxForwardHops ?? DEFAULT_MAX_FORWARD_HOPS,
    replicationFactor: o.replicationFactor ?? DEFAULT_REPLICATION_FACTOR,
    handoffActorsPerSec: o.handoffActorsPerSec ?? DEFAULT_HANDOFF_ACTORS_PER_SEC,
    durability: o.durability ?? 'local',
    askTimeoutMs: o.askTimeoutMs ?? DEFAULT_ROUTED_ASK_TIMEOUT_MS,
    peerRequestTimeoutMs: o.peerRequestTimeoutMs ?? DEFAULT_PEER_REQUEST_TIMEOUT_MS,
  };
  positiveInt('cluster.maxForwardHops', r.maxForwardHops);
  positiveInt('cluster.replicationFactor', r.replicationFactor);
  positiveInt('cluster.handoffActorsPerSec', r.handoffActorsPerSec);
  positiveInt('routing.askTimeoutMs', r.askTimeoutMs);
  positiveInt('routing.peerRequestTimeoutMs', r.peerRequestTimeoutMs);
  if (r.durability !== 'local' && r.durability !== 'replicated') throw new RoutingConfigError('cluster.durability', `must be local or replicated, got ${String(r.durability)}`);
  return r;
}

function positiveInt(key: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RoutingConfigError(key, `must be a positive integer, got ${v}`);
}
