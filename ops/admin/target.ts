/**
 * What the admin service and the inspector need from one node. The node's assembly (node/operators.ts) builds
 * one; `node-target.ts` builds it from an ActorHost and its store, with the cluster parts optional.
 */
import type { JsonChange } from '../inspector/json-diff.js';

export interface TargetMember {
  readonly id: string;
  /** Gossip address (`host:port`). */
  readonly address: string;
  /** Admin (gRPC) address of that member, when known; the fan-out asks it. */
  readonly adminAddress?: string;
  /** `alive`, `suspect`, `dead`, `left`. */
  readonly state: string;
  readonly incarnation: number;
}

export interface TargetActorSummary {
  readonly node: string;
  readonly kind: string;
  readonly key: string;
  readonly active: boolean;
  readonly mailboxDepth: number;
  readonly messagesHandled: number;
  readonly lastActivityMs: number;
}

export interface TargetRecentMessage {
  readonly atMs: number;
  readonly msg: unknown;
  readonly failed: boolean;
  readonly diff: JsonChange[];
}

/** One actor as the inspector shows it. Metrics are absent (zero) when the actor is not active on this node. */
export interface TargetActorDetails extends TargetActorSummary {
  readonly state: unknown;
  readonly passivationDueMs: number;
  readonly activationCount: number;
  readonly snapshotSeq: number;
  readonly recent: TargetRecentMessage[];
  readonly audit: unknown[];
}

export interface TargetMovePlan {
  readonly actorsByKind: Record<string, number>;
  readonly bytes: number;
}

export interface TargetLeaveProgress {
  readonly moved: number;
  readonly remaining: number;
  readonly done: boolean;
}

/** A leave that would take the cluster's service away (last serving member, or quorum); `--force` overrides it. */
export class LeaveRefusedError extends Error {
  override readonly name = 'LeaveRefusedError';
}

/** Thrown by a target for an operation this node cannot do (e.g. leave on a node without routing). */
export class TargetUnsupportedError extends Error {
  override readonly name = 'TargetUnsupportedError';
}

/** Thrown by a join that reached no seed. */
export class JoinFailedError extends Error {
  override readonly name = 'JoinFailedError';
}

/** Thrown by the operator tools' target before the node listens (no address to report yet). */
export class NotListeningError extends Error {
  override readonly name = 'NotListeningError';
}

export interface AdminTarget {
  readonly nodeId: string;
  /** This node's admin (gRPC) address, `host:port`. */
  readonly adminAddress: string;
  members(): TargetMember[];
  /** Ring share per member id (0..1) and a checksum all nodes agree on when their rings agree. */
  ring(): { shares: Record<string, number>; checksum: string };
  activeActorsByKind(): Record<string, number>;
  /** Event-loop delay p99, in ms (ProcessSampler). */
  eventLoopLagMs(): number;
  /** Undefined when this node neither has the actor active nor has anything stored for it. */
  inspect(kind: string, key: string): TargetActorDetails | undefined;
  /** Actors on this node whose kind matches (all when `kind` is empty) and whose key starts with `keyPrefix`. */
  search(kind: string, keyPrefix: string, limit: number): TargetActorSummary[];
  /** Subscribes to changes of one actor (a handled message); returns the unsubscriber. */
  watchActor?(kind: string, key: string, onChange: () => void): () => void;
  /** Subscribes to membership changes; returns the unsubscriber. */
  watchMembers?(onChange: () => void): () => void;
  drainPlan(): TargetMovePlan;
  /**
   * Graceful leave: hands every actor off, reporting progress; `signal` aborts it (the node stays a member). Refused
   * with `LeaveRefusedError` when this node is the last serving member or its leaving breaks quorum, unless `force`.
   */
  leave(onProgress: (p: TargetLeaveProgress) => void, signal: AbortSignal, options?: { force?: boolean }): Promise<void>;
  /** Rejects with `JoinFailedError` when no seed answered. */
  join(seeds: string[]): Promise<void>;
  /** Admin addresses of the other live members (for cluster-wide views). */
  peers(): string[];
}
