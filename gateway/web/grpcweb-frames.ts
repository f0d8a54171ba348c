/**
 * gRPC-web responses in the browser (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): every message and
 * the trailer block travel as frames of gateway/grpc-frame.ts, the codec the server writes them with. Pure and
 * DOM-free so Node tests exercise exactly what the page runs.
 */
import { FLAG_TRAILERS, FRAME_HEADER_BYTES, encodeFrame, readFrameHeader } from '../grpc-frame.js';

/**
 * Largest frame payload the client accepts, in bytes; a bigger announced length is treated as a broken
 * stream instead of being buffered.
 * @default 4194304 (4 MiB, grpc-js's default receive limit)
 */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

export interface Frame {
  /** True for the trailer frame (flag bit 0x80). */
  readonly trailer: boolean;
  readonly compressed: boolean;
  readonly payload: Uint8Array;
}

/** A response body that is not valid gRPC-web framing. */
export class GrpcWebFramingError extends Error {
  override readonly name = 'GrpcWebFramingError';
}

/** Encodes a trailer block as `key: value\r\n` lines (used by test servers). */
export function encodeTrailerFrame(trailers: Record<string, string>): Uint8Array {
  const text = Object.entries(trailers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return encodeFrame(FLAG_TRAILERS, new TextEncoder().encode(text));
}

/**
 * Incremental frame parser: feed it body chunks as they arrive, in any split (a header may straddle two
 * chunks), and it returns every frame completed so far.
 */
export class FrameParser {
  private pending: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) {
      throw new RangeError(`maxFrameBytes: expected a positive integer, got ${maxFrameBytes}`);
    }
  }

  push(chunk: Uint8Array): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= FRAME_HEADER_BYTES) {
      const { trailers, compressed, length } = readFrameHeader(this.pending, offset);
      if (length > this.maxFrameBytes) {
        throw new GrpcWebFramingError(`frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      const end = offset + FRAME_HEADER_BYTES + length;
      if (this.pending.length < end) break;
      frames.push({
        trailer: trailers,
        compressed,
        // Copy so a frame never pins (or aliases) the larger buffer it arrived in.
        payload: this.pending.slice(offset + FRAME_HEADER_BYTES, end),
      });
      offset = end;
    }
    this.pending = offset === 0 ? this.pending : this.pending.slice(offset);
    return frames;
  }

  /** Bytes of an unfinished frame still waiting for more input. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}

/**
 * Parses a trailer frame's `key: value\r\n` lines. Keys are lower-cased (HTTP/1 header semantics); a line
 * without a colon is a framing error rather than something to guess about.
 */
export function parseTrailers(payload: Uint8Array): Map<string, string> {
  const trailers = new Map<string, string>();
  const text = new TextDecoder().decode(payload);
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new GrpcWebFramingError(`malformed trailer line ${JSON.stringify(line)}`);
    trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return trailers;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
