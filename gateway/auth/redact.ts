import type { Metadata } from '@grpc/grpc-js';

/** Metadata keys whose values are credentials. */
const SECRET_KEYS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key)$|token|secret|password/i;

export const REDACTED = '<redacted>';

/** A loggable copy of call metadata: credential values replaced, binary values shown by size only. */
export function redactMetadata(md: Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(md.toJSON())) {
    out[key] = (values as Array<string | Buffer>).map((v) =>
      SECRET_KEYS.test(key) ? REDACTED : typeof v === 'string' ? v : `<${v.length} bytes>`,
    );
  }
  return out;
}
