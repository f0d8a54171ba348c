/** Typed failures of the link layer; the router maps them to retries or gRPC statuses at the edge. */

/** The link to `nodeId` is not up, or died before the ask was answered. Safe to retry elsewhere or later. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
  constructor(readonly nodeId: string, reason: string, options?: { cause?: unknown }) {
    super(`link to ${nodeId} closed: ${reason}`, options);
  }
}

/** The link's bounded send queue is full (the peer or the network is slower than the senders). */
export class LinkOverloadedError extends Error {
  override readonly name = 'LinkOverloadedError';
  constructor(
    readonly nodeId: string,
    readonly queued: number,
    readonly queuedBytes: number,
    limit: string,
  ) {
    super(`link to ${nodeId} overloaded: ${queued} envelopes / ${queuedBytes} bytes queued (limit ${limit})`);
  }
}

/** No reply arrived before the ask's deadline. The envelope may or may not have been handled. */
export class AskTimeoutError extends Error {
  override readonly name = 'AskTimeoutError';
  constructor(readonly nodeId: string, readonly correlationId: number, readonly deadlineMs: number) {
    super(`ask ${correlationId} to ${nodeId} got no reply by its deadline (${new Date(deadlineMs).toISOString()})`);
  }
}

/** A peer failed to prove it holds the cluster key (or claimed the wrong identity). */
export class LinkAuthError extends Error {
  override readonly name = 'LinkAuthError';
  constructor(readonly nodeId: string, reason: string, options?: { cause?: unknown }) {
    super(`link authentication with ${nodeId} failed: ${reason}`, options);
  }
}

/** A transport option is invalid; the message names the key and the rule. */
export class TransportConfigError extends Error {
  override readonly name = 'TransportConfigError';
  constructor(readonly key: string, rule: string) {
    super(`transport option ${key}: ${rule}`);
  }
}

/** A handoff stream was refused or failed on the receiving node; `code` is its handler's error code or the gRPC status name. */
export class HandoffFailedError extends Error {
  override readonly name = 'HandoffFailedError';
  constructor(readonly nodeId: string, readonly code: string, detail: string, options?: { cause?: unknown }) {
    super(`handoff to ${nodeId} failed: ${code}: ${detail}`, options);
  }
}
