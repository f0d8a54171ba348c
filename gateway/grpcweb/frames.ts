/**
 * gRPC-web request bodies and trailers on the server (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md),
 * pure functions only, over the frame codec of gateway/grpc-frame.ts. Text mode base64-encodes the frames; each chunk
 * may carry its own padding.
 */
import { FLAG_TRAILERS, FRAME_HEADER_BYTES, encodeFrame, readFrameHeader, type FrameHeader } from '../grpc-frame.js';

/** A request body that cannot be parsed as gRPC-web; `kind` picks the gRPC status at the edge. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(readonly kind: 'malformed' | 'too-large' | 'compressed', message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The trailers frame payload: `key: value\r\n` lines, keys lower case. */
export function encodeTrailers(trailers: ReadonlyArray<readonly [string, string]>): Buffer {
  const text = trailers.map(([k, v]) => `${k.toLowerCase()}: ${v}\r\n`).join('');
  return encodeFrame(FLAG_TRAILERS, Buffer.from(text, 'latin1'), Buffer.allocUnsafe);
}

/** Throws when the header is not an acceptable request data frame. */
export function checkRequestHeader(header: FrameHeader, maxMessageBytes: number): void {
  if (header.trailers) throw new FrameError('malformed', 'request carries a trailers frame');
  if (header.compressed) throw new FrameError('compressed', 'compressed request messages are not supported (send grpc-encoding identity)');
  if (header.length > maxMessageBytes) {
    throw new FrameError('too-large', `request message of ${header.length} bytes exceeds maxMessageBytes ${maxMessageBytes}`);
  }
}

/**
 * The one message of a unary or server-streaming request: the body must be exactly one data frame.
 * Returns the payload (a view into `body`).
 */
export function decodeSingleMessage(body: Buffer, maxMessageBytes: number): Buffer {
  if (body.length < FRAME_HEADER_BYTES) {
    throw new FrameError('malformed', `request body of ${body.length} bytes is shorter than a frame header`);
  }
  const header = readFrameHeader(body);
  checkRequestHeader(header, maxMessageBytes);
  const end = FRAME_HEADER_BYTES + header.length;
  if (body.length < end) throw new FrameError('malformed', `truncated frame: header says ${header.length} bytes, body has ${body.length - FRAME_HEADER_BYTES}`);
  if (body.length > end) throw new FrameError('malformed', `${body.length - end} unexpected bytes after the request message`);
  return body.subarray(FRAME_HEADER_BYTES, end);
}

const BASE64_GROUPS = /^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)*$/;

/**
 * Strict base64 for text mode: groups of 4, padding only at the end of a group, but padded groups may
 * appear mid-stream because clients encode chunk by chunk. Node's lenient decoder would silently drop
 * bad characters, so validate first.
 */
export function decodeBase64Text(text: string): Buffer {
  const compact = text.replace(/\r?\n/g, '');
  if (compact.length % 4 !== 0) throw new FrameError('malformed', `invalid base64: length ${compact.length} is not a multiple of 4`);
  if (!BASE64_GROUPS.test(compact)) throw new FrameError('malformed', 'invalid base64: unexpected character or misplaced padding');
  if (!compact.includes('=')) return Buffer.from(compact, 'base64');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 3; i < compact.length; i += 4) {
    if (compact[i] === '=') {
      parts.push(Buffer.from(compact.slice(start, i + 1), 'base64'));
      start = i + 1;
    }
  }
  if (start < compact.length) parts.push(Buffer.from(compact.slice(start), 'base64'));
  return Buffer.concat(parts);
}

/** Most raw body bytes a request with one message of at most `maxMessageBytes` can need. */
export function maxRequestBodyBytes(maxMessageBytes: number, text: boolean): number {
  const binary = FRAME_HEADER_BYTES + maxMessageBytes;
  // Text mode: 4 chars per 3 bytes, plus room for a client that pads the header and payload separately.
  return text ? Math.ceil(binary / 3) * 4 + 8 : binary;
}
