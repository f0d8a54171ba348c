/**
 * The node-to-node link layer the router sits on: actor envelopes and their replies between cluster members.
 * Implementations: `grpc.ts` (one grpc-js bidi stream per peer pair) and `memory.ts` (in-process, for
 * deterministic simulation). The router codes against this interface only.
 *
 * Delivery contract (both implementations):
 * - Per link, envelopes arrive in the order `send`/`ask` was called (one ordered stream, never reordered),
 *   so per-sender FIFO to one actor holds as long as the sender uses one link for it.
 * - At most once. A link that dies fails every ask not yet answered with `LinkClosedError` and drops the tells
 *   not yet written (counted in `droppedOnClose`); the router decides whether to retry.
 * - `send`/`ask` queue while a link is connecting or up; they fail fast with `LinkClosedError` when there is no
 *   link (never connected, backing off after a failure, disconnected) and with `LinkOverloadedError` when the
 *   link's bounded queue is full.
 */
import type { Envelope, HandoffAck, HandoffChunk, Reply } from '../../proto/gen/cluster.js';

export type { Envelope, HandoffAck, HandoffChunk, Reply, ActorRef as WireActorRef } from '../../proto/gen/cluster.js';

/**
 * Called for every envelope a peer delivers, in arrival order. The router should hand the envelope to the
 * mailbox before its first `await`, so order survives. For an ask (`correlationId !== 0`) the resolved value
 * is sent back as the reply (its `correlationId` is filled in by the transport; `undefined` sends an empty ok
 * reply); a rejection becomes a reply with `errorCode` (the error's string `code`, else `HANDLER_FAILED`).
 * For a tell the result is ignored and a rejection is logged.
 */
export type EnvelopeHandler = (envelope: Envelope, fromNodeId: string) => Promise<Reply | void>;

/**
 * Receives one handoff stream (actors moving to this node), with backpressure: the sender waits while this
 * iterates slowly. Resolves with the number of actors accepted; a rejection (with an optional string `code`)
 * fails the sender's `handoff` with `HandoffFailedError`.
 */
export type HandoffHandler = (chunks: AsyncIterable<HandoffChunk>, fromNodeId: string) => Promise<number>;

export type LinkState = 'connecting' | 'up' | 'backoff' | 'closed';

/** Counters of one peer link; totals survive reconnects, gauges describe the current moment. */
export interface LinkMetrics {
  readonly nodeId: string;
  readonly state: LinkState;
  /** Envelopes and replies accepted by `send`/`ask`/handlers but not yet written to the stream. */
  readonly queued: number;
  readonly queuedBytes: number;
  /** Asks sent (or queued) and not yet answered, timed out or failed. */
  readonly asksInFlight: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly batchesSent: number;
  readonly batchesReceived: number;
  readonly envelopesSent: number;
  readonly envelopesReceived: number;
  /** `send`/`ask` calls refused with `LinkOverloadedError`. */
  readonly overloadRejections: number;
  /** Tells and replies discarded because the link died before they were written. */
  readonly droppedOnClose: number;
  /** Times this link came up (1 after the first connect). */
  readonly connects: number;
}

export interface TransportMetrics {
  readonly links: LinkMetrics[];
  /** Link opens refused because the peer did not prove it holds the cluster key (either direction). */
  readonly authFailures: number;
}

export interface Transport {
  readonly nodeId: string;
  /**
   * Remembers `address` for `nodeId` and dials unless a link is already up or being set up; redials with
   * backoff after failures until `disconnect`. Resolves when the link is up (the race between two nodes
   * dialling each other is settled inside: one stream survives). Rejects with `LinkClosedError` only when
   * `disconnect`/`close` is called before the link came up; a failing dial keeps retrying.
   */
  connect(nodeId: string, address: string): Promise<void>;
  /** Closes the link, forgets the address, fails pending asks with `LinkClosedError`. */
  disconnect(nodeId: string): Promise<void>;
  /** A tell (`correlationId` must be 0). Throws `LinkClosedError` or `LinkOverloadedError` synchronously. */
  send(nodeId: string, envelope: Envelope): void;
  /**
   * An ask: the transport assigns `envelope.correlationId` (unique per link, increasing) and sets
   * `envelope.deadlineMs = deadlineMs` (ms since the Unix epoch). Rejects with `AskTimeoutError` at the
   * deadline, `LinkClosedError` when the link dies first, `LinkOverloadedError` when the queue is full.
   * A reply with a non-empty `errorCode` resolves normally; interpreting it is the router's job.
   */
  ask(nodeId: string, envelope: Envelope, deadlineMs: number): Promise<Reply>;
  /** Sets the one handler for inbound envelopes (a second call replaces it). Nothing is delivered before. */
  onEnvelope(handler: EnvelopeHandler): void;
  /**
   * Streams actor snapshots and journal tails to `nodeId` (its `ClusterLink.Handoff`), beside the link, on the same
   * connection and authenticated the same way. Needs the peer's address (`connect`). Rejects with
   * `LinkClosedError` (no link, connection lost), `LinkAuthError`, or `HandoffFailedError` (refused by the receiver,
   * `DEADLINE_EXCEEDED` at `deadlineMs`). Pacing (`cluster.handoffActorsPerSec`) is the caller's.
   */
  handoff(nodeId: string, chunks: AsyncIterable<HandoffChunk> | Iterable<HandoffChunk>, deadlineMs: number): Promise<HandoffAck>;
  /** Sets the one handler for inbound handoff streams; until then they are refused with `FAILED_PRECONDITION`. */
  onHandoff(handler: HandoffHandler): void;
  /** Listens to link state changes (e.g. the router re-routes on `backoff`); returns an unsubscribe. */
  onLinkState(listener: (nodeId: string, state: LinkState) => void): () => void;
  /** Current state of the link to `nodeId`, or `undefined` when there is none. */
  linkState(nodeId: string): LinkState | undefined;
  metrics(): TransportMetrics;
  /** Closes every link (pending asks fail with `LinkClosedError`); later calls fail with `LinkClosedError`. */
  close(): Promise<void>;
}
