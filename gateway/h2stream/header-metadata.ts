/**
 * A native call's request metadata, built from Node's request headers only when a handler needs more than one plain
 * value. Most player calls read one key (`authorization`, gateway/auth/check.ts); building the whole grpc-js
 * `Metadata` up front (`Metadata.fromHttp2Headers`, then removing the headers grpc-js keeps out) was ~1.2 KB and a
 * few µs of every fix (bench gateway, `serverCpuUsPerFix.grpc`).
 *
 * It is a grpc-js `Metadata` in every respect: `get` of a plain (non `-bin`) key reads the header directly, with
 * the answer grpc-js would give; anything else (other methods, `-bin` keys, repeated or illegal values, and grpc-js
 * reading `internalRepr` of another instance in `merge`) first builds the map exactly as grpc-js's server does.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import { Metadata, type MetadataValue } from '@grpc/grpc-js';

/** Headers grpc-js removes from the request metadata before a handler sees it (server-interceptors.js). */
export const NOT_METADATA: readonly string[] = ['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type'];
const NOT_METADATA_SET: ReadonlySet<string> = new Set(NOT_METADATA);

// grpc-js 1.14's rules (metadata.js): which keys `get` accepts without building, and which values `add` keeps.
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_NON_BINARY_VALUE = /^[ -~]*$/;

type MetadataObject = Map<string, MetadataValue[]>;

/** Request metadata as grpc-js builds it for a handler: all headers but the pseudo ones and `NOT_METADATA`. */
export function requestMetadata(headers: IncomingHttpHeaders): Metadata {
  const md = Metadata.fromHttp2Headers(headers);
  for (const key of NOT_METADATA) md.remove(key);
  return md;
}

export class HeaderMetadata extends Metadata {
  // `declare`: no field initialisers, because grpc-js's constructor already writes `internalRepr` (the accessor
  // below) before a subclass field would be defined, and one would reset it.
  declare private pending: IncomingHttpHeaders | undefined;
  declare private repr: MetadataObject | undefined;

  constructor(headers: IncomingHttpHeaders) {
    super();
    this.pending = headers;
  }

  override get(key: string): MetadataValue[] {
    const headers = this.pending;
    if (headers !== undefined) {
      const k = key.toLowerCase();
      if (LEGAL_KEY.test(k) && !k.endsWith('-bin')) {
        if (NOT_METADATA_SET.has(k)) return [];
        const value = headers[k];
        if (value === undefined) return [];
        if (typeof value === 'string' && LEGAL_NON_BINARY_VALUE.test(value)) return [value];
      }
    }
    return super.get(key);
  }

  /** The grpc-js map, built on first use (every `Metadata` method but our `get` fast path goes through it). */
  private static reprOf(md: HeaderMetadata): MetadataObject {
    const headers = md.pending;
    if (headers !== undefined) {
      md.pending = undefined;
      const built = requestMetadata(headers) as unknown as { internalRepr: MetadataObject };
      md.repr = built.internalRepr;
    }
    return md.repr!;
  }

  static {
    // grpc-js declares `internalRepr` a field; an accessor in its place sees every read, including another
    // instance's `merge(this)`. TypeScript does not allow overriding a field with an accessor, hence defineProperty.
    Object.defineProperty(HeaderMetadata.prototype, 'internalRepr', {
      get(this: HeaderMetadata) {
        return HeaderMetadata.reprOf(this);
      },
      set(this: HeaderMetadata, value: MetadataObject) {
        // grpc-js's constructor (an empty map, the headers come later) and any later assignment.
        this.pending = undefined;
        this.repr = value;
      },
    });
  }
}
