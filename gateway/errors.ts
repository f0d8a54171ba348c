import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { InvalidFixError, InvalidHuntRequestError } from '../actors/hunt/index.js';
import { AskTimeoutError, HostClosedError, MailboxFullError } from '../actors/runtime/errors.js';
import { authErrorToGrpc } from './auth/index.js';
import { NodeAtCapacityError } from './admission.js';
import { InvalidCursorError } from './notify/cursor.js';
import { InvalidGrpcTimeoutError } from './grpcweb/timeout.js';
import { ForwardLimitError, HandoffPendingError, OwnerUnreachableError, UnavailableError } from '../cluster/routing/errors.js';

/**
 * The one place typed errors of the layers below (and the edge's own refusals of a request, such as a bad
 * `grpc-timeout`) become gRPC statuses, for native gRPC and gRPC-web alike. Anything unrecognised is INTERNAL
 * with a generic message (its details go to the log, not to the client).
 */
export function toGrpcError(err: unknown): Partial<ServiceError> & { code: status } {
  const auth = authErrorToGrpc(err);
  if (auth) return auth as Partial<ServiceError> & { code: status };
  if (err instanceof InvalidFixError) return grpcError(status.INVALID_ARGUMENT, `invalid fix (${err.reason}): ${err.message}`);
  if (err instanceof InvalidHuntRequestError) {
    return grpcError(err.reason === 'unknownBuilding' ? status.NOT_FOUND : status.INVALID_ARGUMENT, err.message);
  }
  if (err instanceof InvalidCursorError || err instanceof InvalidGrpcTimeoutError) return grpcError(status.INVALID_ARGUMENT, err.message);
  if (err instanceof NodeAtCapacityError) {
    const pushback = new Metadata();
    pushback.set('grpc-retry-pushback-ms', String(err.retryPushbackMs));
    return Object.assign(stackless(`${err.message}; retry with backoff`), { code: status.RESOURCE_EXHAUSTED, details: `${err.message}; retry with backoff`, metadata: pushback });
  }
  if (err instanceof MailboxFullError) return grpcError(status.RESOURCE_EXHAUSTED, `overloaded: ${err.message}; retry with backoff`);
  if (err instanceof AskTimeoutError) return grpcError(status.DEADLINE_EXCEEDED, err.message);
  if (err instanceof HostClosedError) return grpcError(status.UNAVAILABLE, 'node is shutting down; retry on another node');
  // Cluster moments a client rides out by retrying: a node leaving or in a minority, an actor mid-handoff.
  if (err instanceof UnavailableError || err instanceof HandoffPendingError || err instanceof OwnerUnreachableError || err instanceof ForwardLimitError) {
    return grpcError(status.UNAVAILABLE, `${err.message}; retry`);
  }
  const cause = clusterCause(err);
  if (cause !== undefined) return grpcError(cause.code, `${cause.err.message}${cause.code === status.DEADLINE_EXCEEDED ? '' : '; retry with backoff'}`);
  return grpcError(status.INTERNAL, 'internal error');
}

/**
 * A failure of the cluster below the game rather than of the game: a link full or down, a peer's answer late, an
 * actor moving or its mailbox full, here or on another node (a remote error arrives as its wire code). A handler
 * that failed on one (a player's visit whose beacon lives on a node that just died) committed nothing: the client
 * may retry. A late answer's outcome is unknown, hence DEADLINE_EXCEEDED, as for the client's own deadline.
 */
const CLUSTER_STATUS: ReadonlyMap<string, status> = new Map([
  ['LinkOverloadedError', status.RESOURCE_EXHAUSTED],
  ['MailboxFullError', status.RESOURCE_EXHAUSTED],
  ['AskTimeoutError', status.DEADLINE_EXCEEDED],
  ['LinkClosedError', status.UNAVAILABLE],
  ['HostClosedError', status.UNAVAILABLE],
  ['UnavailableError', status.UNAVAILABLE],
  ['HandoffPendingError', status.UNAVAILABLE],
  ['OwnerUnreachableError', status.UNAVAILABLE],
  ['ForwardLimitError', status.UNAVAILABLE],
  ['UNAVAILABLE', status.UNAVAILABLE],
  ['HANDOFF_PENDING', status.UNAVAILABLE],
  ['OWNER_UNREACHABLE', status.UNAVAILABLE],
  ['FORWARD_LIMIT', status.UNAVAILABLE],
  // `replicated` durability with no replica reachable (it just died): committed here only, not acknowledged.
  ['REPLICATION_UNAVAILABLE', status.UNAVAILABLE],
]);

/** Longest cause chain followed (HandlerError → RemoteActorError → ...). */
const MAX_CAUSE_DEPTH = 8;

function clusterCause(err: unknown): { code: status; err: Error } | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && e instanceof Error; depth++, e = e.cause) {
    const wire = (e as { code?: unknown }).code;
    const code = (typeof wire === 'string' ? CLUSTER_STATUS.get(wire) : undefined) ?? CLUSTER_STATUS.get(e.name);
    if (code !== undefined) return { code, err: e };
  }
  return undefined;
}

export function isInternal(err: unknown): boolean {
  return toGrpcError(err).code === status.INTERNAL;
}

/**
 * The status sent for an error a handler passes to its callback or emits on its stream, on both protocols, by grpc-js's
 * own rule (1.14, server-call.js `serverErrorToStatus`), so a call answers the same whichever path served it: the
 * code only when it is an integer (details then from `details` when a string), otherwise UNKNOWN with the error's
 * message; trailers passed to a unary callback win over the error's metadata.
 */
export function handlerErrorStatus(err: unknown, trailers?: Metadata): Partial<StatusObject> {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
  const result: Partial<StatusObject> = { code: status.UNKNOWN, details: 'message' in e ? String(e.message) : 'Unknown Error' };
  const metadata = trailers ?? e.metadata;
  if (metadata instanceof Metadata) result.metadata = metadata;
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    result.code = e.code;
    if (typeof e.details === 'string') result.details = e.details;
  }
  return result;
}

/** The status of a call the edge refuses before any handler runs (`toGrpcError`'s table, then sent as above). */
export function refusalStatus(err: unknown): Partial<StatusObject> {
  return handlerErrorStatus(toGrpcError(err));
}

function grpcError(code: status, details: string, metadata = new Metadata()): Partial<ServiceError> & { code: status } {
  return Object.assign(new Error(details), { code, details, metadata });
}

/** An Error without a captured stack: a refusal under overload is built thousands of times a second, and nobody reads its stack. */
function stackless(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
