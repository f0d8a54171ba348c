/**
 * Serves native gRPC unary and server-streaming calls straight from Node's `http2` through the same grpc-js handlers,
 * with the gRPC-web call objects (gateway/grpcweb/fake-call.ts). grpc-js holds ~3.7 KB per open server stream that no
 * handler can reach (BENCHMARKS.md, "Heap per open stream"); this path holds the call object, this context and the
 * request (and the request headers until the handler's metadata is built or cleared, header-metadata.ts). A unary call skips grpc-js's interceptor chain, decoder and call objects (BENCHMARKS.md, "Native unary on
 * our HTTP/2 path"). Client- and bidi-streaming methods stay on grpc-js (see hook.ts).
 */
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { WebUnaryCall, WebWritableStream } from '../grpcweb/fake-call.js';
import { buildRoutes, type Route, type ServiceBinding } from '../grpcweb/routes.js';
import { InvalidGrpcTimeoutError, parseGrpcTimeoutMs } from '../grpcweb/timeout.js';
import { handlerErrorStatus, refusalStatus } from '../errors.js';
import { FRAME_HEADER_BYTES } from '../grpc-frame.js';
import { RequestMessageError, checkFrameHeader, readRequestMessage } from './request.js';
import { H2StreamCall, encodeGrpcMessage } from './response.js';
import { metadataOf } from './header-metadata.js';

export interface NativeStreamsOptions {
  /** Services whose unary and server-streaming methods (`!requestStream`) are served here. */
  services: readonly ServiceBinding[];
  /** Largest request message accepted, in bytes (grpc-js's `grpc.max_receive_message_length`). */
  maxMessageBytes: number;
}

/** Invalid options; the message names the option and the rule. */
export class NativeStreamsOptionsError extends Error {
  override readonly name = 'NativeStreamsOptionsError';
}

/** Longest delay setTimeout honours; a later deadline is as good as none for one call. */
const MAX_TIMER_MS = 2_147_483_647;

// One listener for every stream: grpc-js adds the same no-op (an 'error' without a listener would throw); the
// 'close' that follows every error is what ends the call.
const ignoreError = (): void => undefined;

export class NativeStreams {
  private readonly routes = new Map<string, Route>();
  /** Calls (unary and streams) served here and still open; a test or shutdown can wait for it. */
  open = 0;
  /** Calls (unary and streams) served here since start. */
  served = 0;
  /** Unary calls served here since start (included in `served`). */
  servedUnary = 0;

  constructor(private readonly options: NativeStreamsOptions) {
    if (!Number.isInteger(options.maxMessageBytes) || options.maxMessageBytes < 1) {
      throw new NativeStreamsOptionsError(`maxMessageBytes must be a positive integer, got ${options.maxMessageBytes}`);
    }
    for (const [path, route] of buildRoutes(options.services)) {
      if (!route.method.requestStream) this.routes.set(path, route);
    }
  }

  /** Paths served here (`/pkg.Service/Method`). */
  get paths(): string[] {
    return [...this.routes.keys()];
  }

  /** The route for a stream's headers, or undefined when grpc-js should serve it (grpc-js answers bad content types). */
  routeOf(headers: IncomingHttpHeaders): Route | undefined {
    const route = this.routes.get(headers[':path'] as string);
    if (route === undefined) return undefined;
    const type = headers['content-type'];
    return typeof type === 'string' && type.startsWith('application/grpc') ? route : undefined;
  }

  serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, route: Route): void {
    stream.on('error', ignoreError);
    this.open++;
    this.served++;
    if (!route.method.responseStream) this.servedUnary++;
    let deadlineMs: number | undefined;
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      deadlineMs = parseGrpcTimeoutMs(timeout);
      // INVALID_ARGUMENT as over gRPC-web (grpc-js itself answers INTERNAL for the calls it serves).
      if (deadlineMs === undefined) return this.reject(stream, refusalStatus(new InvalidGrpcTimeoutError(timeout)));
    }
    const metadata = metadataOf(headers);
    const encoding = typeof headers['grpc-encoding'] === 'string' ? headers['grpc-encoding'] : 'identity';
    const h2 = new H2StreamCall(stream, route, String(headers[':authority'] ?? headers.host ?? ''), metadata, deadlineMs === undefined ? 0 : Date.now(), deadlineMs);
    // `on`, not `once`: 'close' fires once, and a once wrapper is two more objects per open stream.
    stream.on('close', () => {
      this.open--;
      h2.closed();
    });
    if (deadlineMs !== undefined && deadlineMs <= MAX_TIMER_MS) h2.deadlineTimer = setTimeout(() => h2.deadlineExceeded(), deadlineMs);
    this.readRequest(h2, encoding);
  }

  /** Collects the body (one message, then the client's half-close) and starts the handler. */
  private readRequest(h2: H2StreamCall, encoding: string): void {
    const stream = h2.stream;
    const max = this.options.maxMessageBytes;
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      // Whatever else the client sends is read and dropped, so its flow-control window does not stall the session.
      stream.resume();
    };
    const onData = (chunk: Buffer): void => {
      const before = received;
      received += chunk.length;
      chunks.push(chunk);
      try {
        if (before < FRAME_HEADER_BYTES && received >= FRAME_HEADER_BYTES) checkFrameHeader(chunks.length === 1 ? chunk : Buffer.concat(chunks), max);
      } catch (err) {
        stop();
        return h2.finish(statusOf(err));
      }
      // One message fits in max + a header; past that (and a second header) the reader has all it needs to refuse.
      if (received > max + 2 * FRAME_HEADER_BYTES) onEnd();
    };
    const onEnd = (): void => {
      stop();
      if (h2.finished) return;
      let request: unknown;
      try {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const message = readRequestMessage(body, h2.path, max, encoding);
        try {
          request = h2.route.method.requestDeserialize(message);
        } catch (cause) {
          // A bad request, not a bug of ours: INVALID_ARGUMENT with the reason, as over gRPC-web.
          throw new RequestMessageError(status.INVALID_ARGUMENT, `request is not a valid ${h2.path} message: ${(cause as Error).message}`, { cause });
        }
      } catch (err) {
        return h2.finish(statusOf(err));
      }
      this.invoke(h2, request);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
  }

  private invoke(h2: H2StreamCall, request: unknown): void {
    const route = h2.route;
    try {
      if (route.method.responseStream) {
        const call = new WebWritableStream(h2, request, route.method.responseSerialize);
        h2.call = call;
        (route.handler as (c: unknown) => void)(call);
        return;
      }
      const call = new WebUnaryCall(h2, request);
      h2.call = call;
      (route.handler as (c: unknown, cb: UnaryCallback) => void)(call, (err, value, trailers) => answerUnary(h2, err, value, trailers));
    } catch {
      // grpc-js's answer when a handler throws (details only with GRPC_NODE_DEBUG_SEND_ERROR_DETAILS).
      h2.finish({ code: status.UNKNOWN, details: 'Unknown error' });
    }
  }

  /** Refuses a call before anything is read: trailers-only status, the stream's close does the bookkeeping. */
  private reject(stream: ServerHttp2Stream, result: Partial<StatusObject>): void {
    stream.once('close', () => this.open--);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': String(result.code), 'grpc-message': encodeGrpcMessage(result.details ?? '') }, { endStream: true });
  }
}

type UnaryCallback = (err: unknown, value?: unknown, trailers?: unknown) => void;

/** A unary handler's callback, as grpc-js's `handleUnary` reads it; a second call or one after the end is dropped. */
function answerUnary(h2: H2StreamCall, err: unknown, value: unknown, trailers: unknown): void {
  if (h2.finished) return;
  const md = trailers instanceof Metadata ? trailers : undefined;
  if (err) return h2.finish(handlerErrorStatus(err, md));
  let payload: Buffer;
  try {
    payload = h2.route.method.responseSerialize(value);
  } catch {
    // grpc-js's details without GRPC_NODE_DEBUG_SEND_ERROR_DETAILS.
    return h2.finish({ code: status.INTERNAL, details: 'Error serializing response' });
  }
  h2.finishUnary(payload, md);
}

function statusOf(err: unknown): Partial<StatusObject> {
  if (err instanceof RequestMessageError) return { code: err.code, details: err.message };
  return { code: status.INTERNAL, details: (err as Error).message };
}
