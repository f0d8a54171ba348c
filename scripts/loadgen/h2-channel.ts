/**
 * The load workers' gRPC client: unary calls and server streams as plain node:http2 requests with hand-made
 * length-prefixed frames, over one HTTP/2 connection per channel. grpc-js's client costs a load worker about
 * 0.6–0.8 ms of CPU per fix with its share of streams and events (a promise chain, a captured stack, several call
 * layers and a Metadata clone per call); the headline run would spend more than half the machine on it. What this
 * leaves out (name resolution, retries, compression, keepalive, interceptors) a load run does not use. It keeps
 * grpc-js's status semantics where a run depends on them: HTTP status and RST_STREAM codes map to the same gRPC codes
 * (scripts/loadgen/ledger.ts judges fixes by them), and a deadline fails a call with DEADLINE_EXCEEDED.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { FRAME_HEADER_BYTES, encodeFrame } from '../../gateway/grpc-frame.js';

/** How a call ended, as grpc-js reports it: `code` 0 is OK. A plain object: failures are counted, not thrown. */
export interface CallStatus {
  code: number;
  details: string;
  /** Set when no answer came because the connection could not be made or was lost (not a status the server sent). */
  connectionLost?: true;
}

export type UnaryCallback = (failure: CallStatus | undefined, reply: Buffer | undefined) => void;

export interface StreamHandlers {
  onMessage(message: Buffer): void;
  /** Once, when the stream ends: undefined when it ended OK or was cancelled here. */
  onEnd(failure: CallStatus | undefined): void;
}

export interface ServerStreamCall {
  cancel(): void;
}

/** How often a channel looks for unary calls past their deadline. @default 100 ms */
const DEADLINE_SWEEP_MS = 100;

/**
 * Errors of the connection itself: node destroys every stream on a connection that failed so with RST_STREAM code
 * INTERNAL_ERROR, which is no answer from the server. grpc-js reports ECONNRESET and ETIMEDOUT there as UNAVAILABLE and
 * never opens a call on a connection it could not establish (UNAVAILABLE too); so does this client.
 */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The request headers of a call: `path` as in the service definition, the credential, and a timeout if any. */
export function callHeaders(path: string, authorization: string, timeoutMs?: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', authorization };
  if (timeoutMs !== undefined) headers['grpc-timeout'] = `${timeoutMs}m`;
  return headers;
}

/** One message as a gRPC frame (uncompressed). */
export function frame(message: Uint8Array): Buffer {
  return encodeFrame(0, message, Buffer.allocUnsafe);
}

/** One HTTP/2 connection to a node, opened on first use and again after it closed or went away. */
export class H2Channel {
  private session: ClientHttp2Session | undefined;
  /** Unary calls with a deadline in the order sent; every call here has the same timeout, so the order is the deadline's. */
  private deadlines: UnaryCall[] = [];
  private deadlinesHead = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly address: string) {}

  /**
   * One request, one reply. `timeoutMs`, when given, must be the one in `headers` (`callHeaders`) and the same for
   * every call with a timeout on this channel.
   */
  unary(headers: OutgoingHttpHeaders, message: Uint8Array, timeoutMs: number | undefined, callback: UnaryCallback): void {
    const stream = this.request(headers);
    if (typeof stream === 'string') return process.nextTick(callback, { code: status.UNAVAILABLE, details: stream, connectionLost: true }, undefined);
    const call = new UnaryCall(stream, callback);
    if (timeoutMs !== undefined) {
      call.deadlineAtMs = Date.now() + timeoutMs;
      this.deadlines.push(call);
      this.sweepTimer ??= setInterval(() => this.sweepDeadlines(), DEADLINE_SWEEP_MS).unref();
    }
    stream.end(frame(message));
  }

  serverStream(headers: OutgoingHttpHeaders, message: Uint8Array, handlers: StreamHandlers): ServerStreamCall {
    const stream = this.request(headers);
    if (typeof stream === 'string') {
      process.nextTick(() => handlers.onEnd({ code: status.UNAVAILABLE, details: stream, connectionLost: true }));
      return { cancel() {} };
    }
    const call = new StreamCall(stream, handlers);
    stream.end(frame(message));
    return call;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.session?.close();
  }

  /** The stream, or why none could be opened. */
  private request(headers: OutgoingHttpHeaders): ClientHttp2Stream | string {
    if (this.closed) return 'channel closed';
    try {
      return this.connected().request(headers);
    } catch (err) {
      this.session = undefined;
      return (err as Error).message;
    }
  }

  private connected(): ClientHttp2Session {
    if (this.session !== undefined && !this.session.closed && !this.session.destroyed) return this.session;
    // As grpc-js does: thousands of streams on one connection must not trip node's default session memory cap.
    const session = connect(`http://${this.address}`, { maxSessionMemory: Number.MAX_SAFE_INTEGER });
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    // A connection error fails the streams on it (each sees its own close); the next call opens a new connection.
    session.on('error', forget);
    session.on('goaway', forget);
    session.on('close', forget);
    this.session = session;
    return session;
  }

  private sweepDeadlines(): void {
    const now = Date.now();
    const queue = this.deadlines;
    while (this.deadlinesHead < queue.length) {
      const call = queue[this.deadlinesHead]!;
      if (!call.done && call.deadlineAtMs > now) break;
      this.deadlinesHead++;
      if (!call.done) call.expire();
    }
    if (this.deadlinesHead > 1024 && this.deadlinesHead * 2 > queue.length) {
      this.deadlines = queue.slice(this.deadlinesHead);
      this.deadlinesHead = 0;
    }
  }
}

class UnaryCall {
  done = false;
  deadlineAtMs = 0;
  private httpStatus = 0;
  private trailers: IncomingHttpHeaders | undefined;
  private chunks: Buffer | Buffer[] | undefined;
  private errorCode: string | undefined;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly callback: UnaryCallback,
  ) {
    stream.on('response', (headers) => {
      this.httpStatus = Number(headers[':status']);
      // Trailers-only: an error answered in the headers.
      if (headers['grpc-status'] !== undefined) this.trailers = headers;
    });
    stream.on('trailers', (trailers) => (this.trailers = trailers));
    stream.on('data', (chunk: Buffer) => {
      if (this.chunks === undefined) this.chunks = chunk;
      else if (Array.isArray(this.chunks)) this.chunks.push(chunk);
      else this.chunks = [this.chunks, chunk];
    });
    // The close that follows says how it ended; the error only says whether the connection failed.
    stream.on('error', (err) => (this.errorCode = errorCodeOf(err)));
    stream.on('close', () => this.finish());
  }

  expire(): void {
    this.end({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }, undefined);
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private finish(): void {
    const failure = endStatus(this.httpStatus, this.trailers, this.stream.rstCode, this.errorCode);
    if (failure !== undefined) return this.end(failure, undefined);
    const body = Array.isArray(this.chunks) ? Buffer.concat(this.chunks) : this.chunks;
    if (body === undefined || body.length < FRAME_HEADER_BYTES) return this.end({ code: status.UNIMPLEMENTED, details: 'No message received' }, undefined);
    this.end(undefined, body.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + body.readUInt32BE(1)));
  }

  private end(failure: CallStatus | undefined, reply: Buffer | undefined): void {
    if (this.done) return;
    this.done = true;
    this.callback(failure, reply);
  }
}

class StreamCall implements ServerStreamCall {
  private httpStatus = 0;
  private trailers: IncomingHttpHeaders | undefined;
  /** The start of a message split across DATA frames. */
  private pending: Buffer | undefined;
  private cancelled = false;
  private errorCode: string | undefined;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly handlers: StreamHandlers,
  ) {
    stream.on('response', (headers) => {
      this.httpStatus = Number(headers[':status']);
      if (headers['grpc-status'] !== undefined) this.trailers = headers;
    });
    stream.on('trailers', (trailers) => (this.trailers = trailers));
    stream.on('data', (chunk: Buffer) => this.push(chunk));
    stream.on('error', (err) => (this.errorCode = errorCodeOf(err)));
    stream.on('close', () => handlers.onEnd(this.cancelled ? undefined : endStatus(this.httpStatus, this.trailers, stream.rstCode, this.errorCode)));
  }

  cancel(): void {
    this.cancelled = true;
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private push(chunk: Buffer): void {
    let buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    while (buf.length >= FRAME_HEADER_BYTES) {
      const end = FRAME_HEADER_BYTES + buf.readUInt32BE(1);
      if (buf.length < end) break;
      this.handlers.onMessage(buf.subarray(FRAME_HEADER_BYTES, end));
      buf = buf.subarray(end);
    }
    if (buf.length > 0) this.pending = buf;
  }
}

/**
 * How a call ended, as grpc-js would report it (its subchannel-call.ts): undefined for OK. `errorCode` is the `code`
 * of the error the stream emitted, if any (a connection failure: see CONNECTION_ERRORS).
 */
export function endStatus(httpStatus: number, trailers: IncomingHttpHeaders | undefined, rstCode: number | undefined, errorCode?: string): CallStatus | undefined {
  const grpcStatus = trailers?.['grpc-status'];
  if (grpcStatus !== undefined) {
    const code = Number(grpcStatus);
    if (code === status.OK) return undefined;
    const message = trailers!['grpc-message'];
    return { code: Number.isInteger(code) ? code : status.UNKNOWN, details: typeof message === 'string' ? safeDecodeUri(message) : '' };
  }
  if (httpStatus !== 0 && httpStatus !== 200) return httpStatusToGrpc(httpStatus);
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return { code: status.UNAVAILABLE, details: 'Stream refused by server' };
    case constants.NGHTTP2_CANCEL:
      // Our own cancels never get here (callers check first); node synthesizes CANCEL when a connection drops, and
      // grpc-js reports that as UNAVAILABLE too, so the player reconnects rather than taking it for its own cancel.
      return { code: status.UNAVAILABLE, details: 'Stream cancelled by the server or the connection dropped', connectionLost: true };
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return { code: status.RESOURCE_EXHAUSTED, details: 'Bandwidth exhausted or memory limit exceeded' };
    case constants.NGHTTP2_INTERNAL_ERROR:
      if (errorCode !== undefined && CONNECTION_ERRORS.has(errorCode)) return { code: status.UNAVAILABLE, details: `Connection failed: ${errorCode}`, connectionLost: true };
      return { code: status.INTERNAL, details: `Received RST_STREAM with code ${rstCode}${errorCode === undefined ? '' : ` (${errorCode})`}` };
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return { code: status.PERMISSION_DENIED, details: 'Protocol not secure enough' };
    case undefined:
    case constants.NGHTTP2_NO_ERROR:
      // The connection went away before the call ended.
      return { code: status.UNAVAILABLE, details: 'Connection dropped', connectionLost: true };
    default:
      return { code: status.INTERNAL, details: `Received RST_STREAM with code ${rstCode}` };
  }
}

function httpStatusToGrpc(httpStatus: number): CallStatus {
  const details = `Received HTTP status code ${httpStatus}`;
  switch (httpStatus) {
    case 400:
      return { code: status.INTERNAL, details };
    case 401:
      return { code: status.UNAUTHENTICATED, details };
    case 403:
      return { code: status.PERMISSION_DENIED, details };
    case 404:
      return { code: status.UNIMPLEMENTED, details };
    case 429:
    case 502:
    case 503:
    case 504:
      return { code: status.UNAVAILABLE, details };
    default:
      return { code: status.UNKNOWN, details };
  }
}

/**
 * The code of a stream's error: a stream not yet sent when its connection failed is cancelled
 * (ERR_HTTP2_STREAM_CANCEL) with the connection's error as the cause, and the cause is what tells the story.
 */
function errorCodeOf(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  return code === 'ERR_HTTP2_STREAM_CANCEL' && typeof cause?.code === 'string' ? cause.code : code;
}

function safeDecodeUri(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}
