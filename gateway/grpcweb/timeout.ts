/** `grpc-timeout`: 1–8 ASCII digits and a unit (H, M, S, m, u, n), per the gRPC HTTP/2 protocol. */
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** Milliseconds of a `grpc-timeout` value, or undefined when it is malformed. */
export function parseGrpcTimeoutMs(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
