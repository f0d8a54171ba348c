import type { Envelope, Reply } from '../transport/transport.js';
import { ForwardLimitError, HandoffPendingError, OwnerUnreachableError, RemoteActorError, UnavailableError, errorCodeOf } from './errors.js';

/** Envelopes and replies as the router builds them; typed errors become `errorCode` here and back again. */

export function systemEnvelope(sender: string, kind: string, payload: Uint8Array): Envelope {
  return { target: { kind, key: '' }, sender, correlationId: 0, trace: {}, payload: payload as Buffer, hops: 0, deadlineMs: 0 };
}

export function okReply(payload: Uint8Array): Reply {
  return { correlationId: 0, payload: payload as Buffer, errorCode: '', errorMessage: '' };
}

export function errorReply(code: string, message: string): Reply {
  return { correlationId: 0, payload: Buffer.alloc(0), errorCode: code, errorMessage: message };
}

export function errorToReply(err: unknown): Reply {
  return errorReply(errorCodeOf(err), err instanceof Error ? err.message : String(err));
}

export function errorFromReply(r: Reply, nodeId: string, actorId: string): Error {
  switch (r.errorCode) {
    case 'UNAVAILABLE':
      return UnavailableError.fromReply(nodeId, r.errorMessage);
    case 'FORWARD_LIMIT':
      return new ForwardLimitError(actorId, -1);
    case 'OWNER_UNREACHABLE':
      return new OwnerUnreachableError(actorId, nodeId, { cause: r.errorMessage });
    case 'HANDOFF_PENDING':
      return HandoffPendingError.fromReply(actorId, r.errorMessage);
    default:
      return new RemoteActorError(r.errorCode, r.errorMessage, nodeId);
  }
}


