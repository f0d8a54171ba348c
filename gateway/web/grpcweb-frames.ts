/**
 * gRPC-web framing (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): every message and the
 * trailer block travel as `flag (1 byte) | length (4 bytes, big-endian) | payload`. Flag bit 0x80 marks the
 * trailer frame, 0x01 a compressed payload. Pure and DOM-free so Node tests exercise exactly what the page runs.
 */

export const FRAME_HEADER_BYTES = 5;
export const TRAILER_FLAG = 0x80;
export const COMPRESSED_FLAG = 0x01;

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

export function encodeFrame(payload: Uint8Array, flag = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, payload.length, false);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Encodes a trailer block as `key: value\r\n` lines (used by test servers). */
export function encodeTrailerFrame(trailers: Record<string, string>): Uint8Array {
  const text = Object.entries(trailers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return encodeFrame(new TextEncoder().encode(text), TRAILER_FLAG);
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
      const view = new DataView(this.pending.buffer, this.pending.byteOffset + offset, FRAME_HEADER_BYTES);
      const flag = view.getUint8(0);
      const length = view.getUint32(1, false);
      if (length > this.maxFrameBytes) {
        throw new GrpcWebFramingError(`frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      const end = offset + FRAME_HEADER_BYTES + length;
      if (this.pending.length < end) break;
      frames.push({
        trailer: (flag & TRAILER_FLAG) !== 0,
        compressed: (flag & COMPRESSED_FLAG) !== 0,
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
