/**
 * Typed failures of cross-node routing. Each has a stable `code` that crosses the wire as `Reply.errorCode`
 * and becomes a gRPC status only at the edge.
 */

/** This node sees fewer than half of the last agreed members (keep-majority) and hosts nothing. Retriable elsewhere. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
  constructor(readonly nodeId: string, reason: string, options?: { cause?: unknown }) {
    super(`node ${nodeId} is unavailable: ${reason}`, options);
  }

  /**
   * The error as an asker rebuilds it from a reply. A refusal crosses the wire as its whole message, which already
   * names the node that refused; that node may not be `peerId` (the peer forwarded the message on and relays its
   * owner's reply), so the name is read back from the message rather than prefixed again. Other text under this code
   * (a handler on the peer that died of one) is the peer's reason.
   */
  static fromReply(peerId: string, message: string): UnavailableError {
    const refusal = REFUSAL.exec(message);
    return refusal === null ? new UnavailableError(peerId, message) : new UnavailableError(refusal[1]!, message.slice(refusal[0].length));
  }
}

/** The start of an UnavailableError's message, as composed by its constructor. */
const REFUSAL = /^node (.+?) is unavailable: /;

/** A message was forwarded `cluster.maxForwardHops` times without reaching its owner (rings disagree). Retriable. */
export class ForwardLimitError extends Error {
  override readonly name = 'ForwardLimitError';
  readonly code = 'FORWARD_LIMIT';
  constructor(readonly actorId: string, readonly hops: number) {
    super(`message to ${actorId} was forwarded ${hops} times without reaching its owner`);
  }
}

/** The owner could not be reached (link down, node leaving); the message was not handled. Retriable. */
export class OwnerUnreachableError extends Error {
  override readonly name = 'OwnerUnreachableError';
  readonly code = 'OWNER_UNREACHABLE';
  constructor(readonly actorId: string, readonly ownerId: string, options?: { cause?: unknown }) {
    super(`owner ${ownerId} of ${actorId} is unreachable`, options);
  }
}

/** A remote handler or activation failed; `code` and message are the remote error's. Not retriable. */
export class RemoteActorError extends Error {
  override readonly name = 'RemoteActorError';
  constructor(readonly code: string, message: string, readonly nodeId: string) {
    super(`${message} (on ${nodeId})`);
  }
}

/** The kind has no codec for one of its values and msgpack could not carry it. */
export class WireCodecError extends Error {
  override readonly name = 'WireCodecError';
  constructor(readonly kind: string, what: string, options?: { cause?: unknown }) {
    super(`cannot encode/decode ${what} of kind ${kind}`, options);
  }
}

/** A routing option is invalid; names the key and the rule. */
export class RoutingConfigError extends Error {
  override readonly name = 'RoutingConfigError';
  constructor(readonly key: string, rule: string) {
    super(`${key}: ${rule}`);
  }
}

/** Failures of the cluster a handler may have died of; its reply carries theirs, so the asker can retry (not HandlerError). */
const CLUSTER_FAILURES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'FORWARD_LIMIT', 'OWNER_UNREACHABLE', 'HANDOFF_PENDING', 'LinkClosedError', 'LinkOverloadedError', 'AskTimeoutError', 'MailboxFullError', 'HostClosedError', 'REPLICATION_UNAVAILABLE']);
/** Wrappers whose reply code is their cause's when that is a cluster failure (a handler's, a commit's). */
const WRAPPERS: ReadonlySet<string> = new Set(['HandlerError', 'PersistError']);

export function errorCodeOf(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && WRAPPERS.has(name)) {
    const cause = errorCodeOf((err as Error).cause);
    return CLUSTER_FAILURES.has(cause) ? cause : name;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  return typeof name === 'string' && name.length > 0 ? name : 'HANDLER_FAILED';
}

/** The new owner could not collect the actor from its previous owners in time; the message was not handled. Retriable. */
export class HandoffPendingError extends Error {
  override readonly name = 'HandoffPendingError';
  readonly code = 'HANDOFF_PENDING';
  constructor(readonly actorId: string, reason: string) {
    super(`actor ${actorId} is still being handed over: ${reason}`);
  }

  /** The error as an asker rebuilds it from a peer's reply, whose message is already this error's whole message. */
  static fromReply(actorId: string, message: string): HandoffPendingError {
    const prefix = `actor ${actorId} is still being handed over: `;
    return new HandoffPendingError(actorId, message.startsWith(prefix) ? message.slice(prefix.length) : message);
  }
}

/** A graceful leave could not hand every stored actor to its next owner: those stay in this node's store only. */
export class LeaveIncompleteError extends Error {
  override readonly name = 'LeaveIncompleteError';
  constructor(readonly nodeId: string, readonly failed: number, readonly owned: number) {
    super(`${nodeId} left with ${failed} of its ${owned} actors not handed over: they are only in its data folder until it starts again`);
  }
}
