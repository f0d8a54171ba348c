/** `grpc-timeout`: 1–8 ASCII digits and a unit (H, M, S, m, u, n), per the gRPC HTTP/2 protocol. */
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** A request's `grpc-timeout` header is not 1–8 digits and a unit; the edge answers INVALID_ARGUMENT (gateway/errors.ts). */
export class InvalidGrpcTimeoutError extends Error {
  override readonly name = 'InvalidGrpcTimeoutError';

  constructor(readonly value: string) {
    // The value is echoed, cut to 32 characters: it is whatever the client sent.
    super(`invalid grpc-timeout ${JSON.stringify(value.slice(0, 32))}`);
  }
}

/** Milliseconds of a `grpc-timeout` value, or undefined when it is malformed. */
export function parseGrpcTimeoutMs(value: string): number | undefined {
  // Read by hand, not with a regular expression: every call with a deadline carries one (bench gateway).
  const digits = value.length - 1;
  if (digits < 1 || digits > 8) return undefined;
  const unitMs = UNIT_MS[value[digits]!];
  if (unitMs === undefined) return undefined;
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n * unitMs;
}
