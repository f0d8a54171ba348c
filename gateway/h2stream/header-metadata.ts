/**
 * A native call's request metadata, built from Node's request headers only when a handler needs more than one plain
 * value. Most player calls read one key (`authorization`, gateway/auth/check.ts); building the whole grpc-js
 * `Metadata` up front (`Metadata.fromHttp2Headers`, then removing the headers grpc-js keeps out) was ~1.2 KB of each
 * native fix's ~24 KB of allocation (BENCHMARKS.md, gateway, session 6).
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

  /** Drops every entry, and the request headers with them, without building the map first. */
  clear(): void {
    this.pending = undefined;
    this.repr = new Map();
  }

  /** The grpc-js map, built on first use (every `Metadata` method but our `get` fast path goes through it). */
  private static reprOf(md: HeaderMetadata): MetadataObject {
    const headers = md.pending;
    if (headers !== undefined) {
      md.repr = (requestMetadata(headers) as unknown as { internalRepr: MetadataObject }).internalRepr;
      md.pending = undefined;
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

/**
 * Whether this grpc-js keeps its map in `internalRepr` as 1.14 does, so `HeaderMetadata` sees every access: checked
 * once, with a removal after a fast read, another instance's `merge` and `getMap`. When not, `metadataOf` builds the
 * full metadata per call as grpc-js does (correct, with more CPU per call) and `installNativeStreams` warns.
 */
export const LAZY_METADATA_WORKS: boolean = probeLazyMetadata();

/** The request metadata of a native call: lazy when this grpc-js allows it, else built in full. */
export function metadataOf(headers: IncomingHttpHeaders): Metadata {
  return LAZY_METADATA_WORKS ? new HeaderMetadata(headers) : requestMetadata(headers);
}

function probeLazyMetadata(): boolean {
  try {
    const md = new HeaderMetadata({ ':path': '/probe', 'x-probe': 'a', te: 'trailers' });
    if (Object.prototype.hasOwnProperty.call(md, 'internalRepr')) return false;
    const merged = new Metadata();
    merged.merge(md);
    if (md.get('x-probe')[0] !== 'a' || merged.get('x-probe')[0] !== 'a' || 'te' in md.getMap()) return false;
    md.remove('x-probe');
    return md.get('x-probe').length === 0 && Object.keys(md.getMap()).length === 0;
  } catch {
    return false;
  }
}
