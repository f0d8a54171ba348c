import type { OutgoingHttpHeaders } from 'node:http';

/** Response headers a browser needs to read from a cross-origin gRPC-web call. */
export const EXPOSED_HEADERS = 'grpc-status, grpc-message, grpc-status-details-bin';
/** Request headers a gRPC-web client may send. */
export const ALLOWED_HEADERS = 'content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization, connect-protocol-version, connect-timeout-ms';
/** How long a browser may cache a preflight answer, in seconds. @default 600 */
export const DEFAULT_PREFLIGHT_MAX_AGE_S = 600;

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  return origin !== undefined && (allowed.includes('*') || allowed.includes(origin));
}

/** CORS headers for an actual call; empty when there is no allowed Origin (same-origin needs none). */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): OutgoingHttpHeaders {
  if (!originAllowed(origin, allowed)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' };
}

/**
 * The answer to a preflight OPTIONS: status and headers. An allowed origin may send any metadata header
 * it asks for (custom metadata is part of gRPC), so a well-formed request list is echoed.
 */
export function preflight(origin: string | undefined, allowed: readonly string[], requestedHeaders?: string): { status: number; headers: OutgoingHttpHeaders } {
  if (!originAllowed(origin, allowed)) return { status: 403, headers: { vary: 'Origin', 'content-length': '0' } };
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': requestedHeaders && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/.test(requestedHeaders) ? requestedHeaders : ALLOWED_HEADERS,
      'access-control-expose-headers': EXPOSED_HEADERS,
      'access-control-max-age': String(DEFAULT_PREFLIGHT_MAX_AGE_S),
      vary: 'Origin',
      'content-length': '0',
    },
  };
}
