import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { InvalidFixError, InvalidHuntRequestError } from '../actors/hunt/index.js';
import { AskTimeoutError, HostClosedError, MailboxFullError } from '../actors/runtime/errors.js';
import { authErrorToGrpc } from './auth/index.js';
import { InvalidCursorError } from './notify/cursor.js';
import { ForwardLimitError, HandoffPendingError, OwnerUnreachableError, UnavailableError } from '../cluster/routing/errors.js';

/**
 * The one place typed errors of the layers below become gRPC statuses. Anything unrecognised is INTERNAL
 * with a generic message (its details go to the log, not to the client).
 */
export function toGrpcError(err: unknown): Partial<ServiceError> & { code: status } {
  const auth = authErrorToGrpc(err);
  if (auth) return auth as Partial<ServiceError> & { code: status };
  if (err instanceof InvalidFixError) return grpcError(status.INVALID_ARGUMENT, `invalid fix (${err.reason}): ${err.message}`);
  if (err instanceof InvalidHuntRequestError) {
    return grpcError(err.reason === 'unknownBuilding' ? status.NOT_FOUND : status.INVALID_ARGUMENT, err.message);
  }
  if (err instanceof InvalidCursorError) return grpcError(status.INVALID_ARGUMENT, err.message);
  if (err instanceof MailboxFullError) return grpcError(status.RESOURCE_EXHAUSTED, `overloaded: ${err.message}; retry with backoff`);
  if (err instanceof AskTimeoutError) return grpcError(status.DEADLINE_EXCEEDED, err.message);
  if (err instanceof HostClosedError) return grpcError(status.UNAVAILABLE, 'node is shutting down; retry on another node');
  // Cluster moments a client rides out by retrying: a node leaving or in a minority, an actor mid-handoff.
  if (err instanceof UnavailableError || err instanceof HandoffPendingError || err instanceof OwnerUnreachableError || err instanceof ForwardLimitError) {
    return grpcError(status.UNAVAILABLE, `${err.message}; retry`);
  }
  return grpcError(status.INTERNAL, 'internal error');
}

export function isInternal(err: unknown): boolean {
  return toGrpcError(err).code === status.INTERNAL;
}

function grpcError(code: status, details: string): Partial<ServiceError> & { code: status } {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
