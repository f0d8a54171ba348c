import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { PermissionDeniedError, UnauthenticatedError } from './errors.js';

/**
 * Auth errors as grpc-js handler errors (for `callback(err)` or `call.destroy(err)`); undefined for any
 * other error, which the caller maps itself. This is the only place auth failures become gRPC codes.
 */
export function authErrorToGrpc(err: unknown): Partial<ServiceError> | undefined {
  if (err instanceof UnauthenticatedError) return grpcError(status.UNAUTHENTICATED, err.message);
  if (err instanceof PermissionDeniedError) return grpcError(status.PERMISSION_DENIED, err.message);
  return undefined;
}

function grpcError(code: status, details: string): Partial<ServiceError> {
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}
