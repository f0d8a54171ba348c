import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Metadata } from '@grpc/grpc-js';

/** HTTP/1.1 and gRPC-web transport headers that are not call metadata (grpc-js drops the same on HTTP/2). */
const TRANSPORT_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'content-length', 'content-type',
  'accept', 'accept-encoding', 'x-grpc-web', 'x-user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding',
  'proxy-connection', 'http2-settings',
]);

/** A header that cannot become call metadata; the edge answers INVALID_ARGUMENT. */
export class MetadataError extends Error {
  override readonly name = 'MetadataError';
}

/** Request headers -> grpc Metadata, as grpc-js builds it for HTTP/2 (`-bin` values are base64). */
export function headersToMetadata(headers: IncomingHttpHeaders): Metadata {
  const md = new Metadata();
  for (const key in headers) {
    const raw = headers[key];
    if (raw === undefined || TRANSPORT_HEADERS.has(key) || key.startsWith(':')) continue;
    const values = Array.isArray(raw) ? raw : key.endsWith('-bin') ? raw.split(',') : [raw];
    for (const value of values) {
      try {
        md.add(key, key.endsWith('-bin') ? Buffer.from(value.trim(), 'base64') : value);
      } catch (cause) {
        throw new MetadataError(`invalid metadata header ${JSON.stringify(key)}`, { cause });
      }
    }
  }
  return md;
}

/** grpc Metadata -> header pairs (response headers or trailers). */
export function metadataToPairs(md: Metadata | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!md) return out;
  for (const [key, values] of Object.entries(md.toJSON())) {
    for (const v of values as Array<string | Buffer>) out.push([key, typeof v === 'string' ? v : v.toString('base64')]);
  }
  return out;
}

export function pairsToHeaders(pairs: Array<[string, string]>, into: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  for (const [k, v] of pairs) {
    const prev = into[k];
    into[k] = prev === undefined ? v : `${String(prev)}, ${v}`;
  }
  return into;
}

/**
 * `grpc-message` encoding from the gRPC spec: bytes outside printable ASCII (0x20–0x7E) and '%' are
 * percent-encoded from their UTF-8 form.
 */
export function percentEncodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
