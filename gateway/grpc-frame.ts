/**
 * The gRPC length-prefixed frame, written once for every path that reads or writes one: native gRPC over HTTP/2
 * (gateway/h2stream), gRPC-web on the server (gateway/grpcweb) and in the browser (gateway/web, bundled by esbuild),
 * and the load generator. A frame is 1 flag byte, a 4-byte big-endian payload length, then the payload
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"; gRPC-web adds the
 * trailers flag, PROTOCOL-WEB.md). Pure, over `Uint8Array` only: no Node `Buffer`, no DOM, so the page runs exactly
 * what the Node tests check. Callers on Node pass `Buffer.allocUnsafe` to get a Buffer without zero-filling.
 */

/** Bytes before each payload: the flag byte and the 4-byte big-endian length. */
export const FRAME_HEADER_BYTES = 5;
/** Flag bit: the payload is compressed with the call's `grpc-encoding`. */
export const FLAG_COMPRESSED = 0x01;
/** Flag bit (gRPC-web only): the payload is the trailer block, not a message. */
export const FLAG_TRAILERS = 0x80;

export interface FrameHeader {
  compressed: boolean;
  trailers: boolean;
  /** Payload bytes that follow the header. */
  length: number;
}

/** Writes a frame header for `length` payload bytes at `at` of `out`. */
function writeFrameHeader(out: Uint8Array, at: number, flag: number, length: number): void {
  out[at] = flag;
  out[at + 1] = length >>> 24;
  out[at + 2] = (length >>> 16) & 0xff;
  out[at + 3] = (length >>> 8) & 0xff;
  out[at + 4] = length & 0xff;
}

/** Writes the frame of `payload` at `at` of `out` (which must have room for it); returns the offset after it. */
export function writeFrame(out: Uint8Array, at: number, flag: number, payload: Uint8Array): number {
  writeFrameHeader(out, at, flag, payload.length);
  out.set(payload, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + payload.length;
}

/** The frame of `payload` in a new array (from `alloc` when given: `Buffer.allocUnsafe` on Node). */
export function encodeFrame(flag: number, payload: Uint8Array): Uint8Array<ArrayBuffer>;
export function encodeFrame<T extends Uint8Array>(flag: number, payload: Uint8Array, alloc: (bytes: number) => T): T;
export function encodeFrame(flag: number, payload: Uint8Array, alloc?: (bytes: number) => Uint8Array): Uint8Array {
  const out = alloc ? alloc(FRAME_HEADER_BYTES + payload.length) : new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrame(out, 0, flag, payload);
  return out;
}

/** The header of the frame at `at` of `bytes`; the caller checks that `FRAME_HEADER_BYTES` bytes are there. */
export function readFrameHeader(bytes: Uint8Array, at = 0): FrameHeader {
  const flag = bytes[at]!;
  return {
    compressed: (flag & FLAG_COMPRESSED) !== 0,
    trailers: (flag & FLAG_TRAILERS) !== 0,
    length: readFrameLength(bytes, at),
  };
}

/** The payload length in the header of the frame at `at` of `bytes`. */
export function readFrameLength(bytes: Uint8Array, at = 0): number {
  return ((bytes[at + 1]! << 24) >>> 0) + (bytes[at + 2]! << 16) + (bytes[at + 3]! << 8) + bytes[at + 4]!;
}
