/**
 * Native gRPC calls as plain HTTP/2 requests (node:http2) with hand-made length-prefixed frames: the load client of
 * bench gateway's fix-to-event phase. grpc-js's client spent 300–400 µs of CPU per fix there, more than the node it
 * measured, on the same two cores; every stall of that load process lands in the latency it records. This client
 * costs about half of that. What it skips (compression, retries, status details, name resolution) the phase does
 * not use; conformance with real gRPC clients is proven by the gateway's tests, not here.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { FRAME_HEADER_BYTES, encodeFrame } from '../../gateway/grpc-frame.js';

/** A call that ended with a grpc-status other than 0 (or without one). */
export class GrpcCallError extends Error {
  override readonly name = 'GrpcCallError';
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Splits a stream of gRPC length-prefixed frames into messages, across chunk boundaries. */
export class FrameReader {
  private pending: Buffer | undefined;
  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (buf.length >= FRAME_HEADER_BYTES) {
      const end = FRAME_HEADER_BYTES + buf.readUInt32BE(1);
      if (buf.length < end) break;
      this.onMessage(buf.subarray(FRAME_HEADER_BYTES, end));
      buf = buf.subarray(end);
    }
    if (buf.length > 0) this.pending = buf;
  }
}

export interface RawServerStream {
  cancel(): void;
}

export class RawGrpcClient {
  private readonly sessions: ClientHttp2Session[];

  /** `connections` HTTP/2 connections to `host:port`; call `i` goes on connection `i % connections`. */
  constructor(address: string, connections: number) {
    this.sessions = Array.from({ length: connections }, () => connect(`http://${address}`));
    // A connection error fails the calls on it (their own 'error' events); this only keeps it from being unhandled.
    for (const s of this.sessions) s.on('error', () => {});
  }

  /** One request message, one response message; rejects with GrpcCallError unless grpc-status is 0. */
  unary(i: number, path: string, message: Uint8Array, authorization: string, deadlineMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const stream = this.request(i, path, authorization, deadlineMs);
      let reply: Buffer | undefined;
      const reader = new FrameReader((m) => (reply = m));
      let status: IncomingHttpHeaders | undefined;
      stream.on('response', (headers) => {
        // Trailers-only: an error answered in the headers.
        if (headers['grpc-status'] !== undefined) status = headers;
      });
      stream.on('trailers', (trailers) => (status = trailers));
      stream.on('data', (chunk: Buffer) => reader.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => {
        const err = statusError(status, stream.rstCode);
        if (err) reject(err);
        else if (reply === undefined) reject(new GrpcCallError(13, 'grpc-status 0 without a message'));
        else resolve(reply);
      });
      stream.end(encodeFrame(0, message));
    });
  }

  /**
   * A server stream: `onMessage` for each message, `onOpen` when the response headers arrive, `onEnd` once when it
   * ends (with the error, unless it ended OK or was cancelled here).
   */
  serverStream(i: number, path: string, message: Uint8Array, authorization: string, handlers: { onMessage(m: Buffer): void; onOpen(): void; onEnd(err?: Error): void }): RawServerStream {
    const stream = this.request(i, path, authorization);
    const reader = new FrameReader(handlers.onMessage);
    let status: IncomingHttpHeaders | undefined;
    let cancelled = false;
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) status = headers;
      else handlers.onOpen();
    });
    stream.on('trailers', (trailers) => (status = trailers));
    stream.on('data', (chunk: Buffer) => reader.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () => handlers.onEnd(cancelled ? undefined : statusError(status, stream.rstCode)));
    stream.end(encodeFrame(0, message));
    return {
      cancel: () => {
        cancelled = true;
        stream.close(constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): void {
    for (const s of this.sessions) s.close();
  }

  private request(i: number, path: string, authorization: string, deadlineMs?: number): ClientHttp2Stream {
    const headers: Record<string, string> = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization,
    };
    if (deadlineMs !== undefined) headers['grpc-timeout'] = `${deadlineMs}m`;
    return this.sessions[i % this.sessions.length]!.request(headers);
  }
}

function statusError(status: IncomingHttpHeaders | undefined, rstCode: number): GrpcCallError | undefined {
  if (status === undefined) return new GrpcCallError(rstCode === constants.NGHTTP2_CANCEL ? 1 : 14, `no grpc-status (HTTP/2 stream reset with code ${rstCode})`);
  const code = Number(status['grpc-status']);
  if (code === 0) return undefined;
  const details = status['grpc-message'];
  return new GrpcCallError(Number.isNaN(code) ? 2 : code, `grpc-status ${status['grpc-status']}: ${decodeURIComponent(typeof details === 'string' ? details : '')}`);
}
