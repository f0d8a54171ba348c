/**
 * The single request message of a native unary or server-streaming call, read from the whole request body (the client
 * half-closes right after it). Statuses and details follow grpc-js 1.14 (server-interceptors.js, stream-decoder.js,
 * handleServerStreaming) (whose details say "server streaming method" for unary methods too) so a client cannot tell which path served it; one exception: a body that ends inside a
 * message is INTERNAL here, where grpc-js, which never sees the message complete, answers "no request message".
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { FRAME_HEADER_BYTES, readFrameLength } from '../grpc-frame.js';

/** A request the call cannot start with; `code` is the gRPC status the client gets. */
export class RequestMessageError extends Error {
  override readonly name = 'RequestMessageError';
  constructor(readonly code: status, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Rejects a message from its frame header alone (before its payload arrives): too large for `maxMessageBytes`. */
export function checkFrameHeader(head: Buffer, maxMessageBytes: number): void {
  if (head.length < FRAME_HEADER_BYTES) return;
  const length = readFrameLength(head);
  if (length > maxMessageBytes) throw new RequestMessageError(status.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${maxMessageBytes})`);
}

/**
 * The message bytes of `body` (exactly one length-prefixed message), decompressed per the call's `grpc-encoding`
 * when its flag says so. Throws RequestMessageError.
 */
export function readRequestMessage(body: Buffer, path: string, maxMessageBytes: number, encoding: string): Buffer {
  if (body.length === 0) throw new RequestMessageError(status.UNIMPLEMENTED, `Received no request message for server streaming method ${path}`);
  if (body.length < FRAME_HEADER_BYTES) throw new RequestMessageError(status.INVALID_ARGUMENT, `truncated request frame: ${body.length} of ${FRAME_HEADER_BYTES} header bytes`);
  checkFrameHeader(body, maxMessageBytes);
  const flag = body[0]!;
  const length = readFrameLength(body);
  const end = FRAME_HEADER_BYTES + length;
  if (body.length < end) throw new RequestMessageError(status.INVALID_ARGUMENT, `truncated request message: ${body.length - FRAME_HEADER_BYTES} of ${length} bytes`);
  if (body.length > end) throw new RequestMessageError(status.UNIMPLEMENTED, `Received a second request message for server streaming method ${path}`);
  const payload = body.subarray(FRAME_HEADER_BYTES, end);
  // grpc-js reads any flag other than 1 as uncompressed, and a set flag under `identity` as plain bytes.
  if (flag !== 1 || encoding === 'identity') return payload;
  if (encoding !== 'gzip' && encoding !== 'deflate') throw new RequestMessageError(status.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${encoding}"`);
  try {
    return (encoding === 'gzip' ? gunzipSync : inflateSync)(payload, { maxOutputLength: maxMessageBytes });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RequestMessageError(status.RESOURCE_EXHAUSTED, `Received message that decompresses to a size larger than ${maxMessageBytes}`, { cause });
    }
    throw new RequestMessageError(status.INTERNAL, 'Failed to decompress message', { cause });
  }
}
