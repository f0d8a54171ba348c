/**
 * One native unary or server-streaming call on a Node `Http2Stream`: the grpc-js call context the gRPC-web call
 * classes read (gateway/grpcweb/fake-call.ts) and the `ResponseSink` they write to, in one object, because it lives as
 * long as the stream and every byte per open stream counts (bench gateway, `heapBytesPerOpenStream`).
 * Wire format as grpc-js 1.14 writes it (server-interceptors.js): headers `:status 200`, `content-type:
 * application/grpc+proto`; length-prefixed messages; trailers `grpc-status`/`grpc-message` after `waitForTrailers`, or
 * one trailers-only HEADERS frame when the call fails before anything was sent. A unary answer is `respond` + one
 * `end(frame)` + the trailers (grpc-js: `respond`, `write`, `end`, trailers).
 */
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import type { CallContext, ResponseSink } from '../grpcweb/fake-call.js';
import { percentEncodeGrpcMessage } from '../grpcweb/metadata.js';
import type { Route } from '../grpcweb/routes.js';
import { encodeFrame } from '../grpc-frame.js';

/** The call object the handler holds; only `cancel()` is used here. */
interface Cancellable {
  cancel(): void;
}

/** grpc-js writes `grpc-message` with `encodeURI`; that throws on a lone surrogate, which the spec's encoding takes. */
export function encodeGrpcMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    return percentEncodeGrpcMessage(details);
  }
}

/** Response headers (or the trailers-only block) for `md`. */
function responseHeaders(md: Metadata | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = md ? md.toHttp2Headers() : {};
  headers[':status'] = 200;
  headers['content-type'] = 'application/grpc+proto';
  // The request reader takes what grpc-js takes (request.ts); responses are never compressed.
  headers['grpc-accept-encoding'] = 'identity,deflate,gzip';
  return headers;
}

// Shared by every unary answer without response metadata: Node's `respond` and `sendTrailers` copy what they are
// given (frozen, so a Node that wrote into them would throw in the tests rather than leak between calls).
const PLAIN_HEADERS: OutgoingHttpHeaders = Object.freeze(responseHeaders(undefined));
const OK_TRAILERS: OutgoingHttpHeaders = Object.freeze({ 'grpc-status': '0', 'grpc-message': 'OK' });
const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true });
/** Trailers with metadata, kept on the stream until Node asks for them ('wantTrailers'). */
const PENDING_TRAILERS = Symbol('quarry.pendingTrailers');

/** Sends the trailers a unary answer left on its stream; one function for every stream (no closure per call). */
function sendPendingTrailers(this: ServerHttp2Stream & { [PENDING_TRAILERS]?: OutgoingHttpHeaders }): void {
  const trailers = this[PENDING_TRAILERS] ?? OK_TRAILERS;
  this[PENDING_TRAILERS] = undefined;
  this.sendTrailers(trailers);
}

export class H2StreamCall implements CallContext, ResponseSink {
  /** The handler's call object, once the request message is read. */
  call: Cancellable | undefined = undefined;
  /** A status was written, or the stream closed first: nothing more goes out. */
  finished = false;
  private headersSent = false;
  deadlineTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly route: Route,
    readonly host: string,
    readonly metadata: Metadata,
    readonly startedAtMs: number,
    readonly deadlineMs: number | undefined,
  ) {}

  // Read from the stream and the (shared) route when asked, not stored per call.
  get path(): string { return this.route.method.path; }
  get socket(): { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined } { return this.stream.session?.socket ?? {}; }
  get sink(): ResponseSink { return this; }

  sendHeaders(md?: Metadata): void {
    if (this.headersSent || this.finished || this.stream.destroyed) return;
    this.headersSent = true;
    this.stream.respond(responseHeaders(md), { waitForTrailers: true });
  }

  sendMessage(payload: Buffer, done: () => void): void {
    if (this.finished || this.stream.destroyed) return done();
    this.sendHeaders();
    const frame = encodeFrame(0, payload, Buffer.allocUnsafe);
    // The callback runs once the bytes left the stream's buffer (the client's flow-control window had room): the
    // call's Writable holds the next events meanwhile, which is what the handler's `writableLength` check reads.
    this.stream.write(frame, done);
  }

  finish(result: Partial<StatusObject>): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const trailers: OutgoingHttpHeaders = result.metadata ? result.metadata.toHttp2Headers() : {};
    trailers['grpc-status'] = String(result.code ?? status.UNKNOWN);
    trailers['grpc-message'] = encodeGrpcMessage(result.details ?? '');
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(Object.assign(responseHeaders(undefined), trailers), { endStream: true });
      return;
    }
    stream.once('wantTrailers', () => stream.sendTrailers(trailers));
    stream.end();
  }

  /** A unary call's answer: headers (unless sent), the one message and OK trailers, in as few writes as Node allows. */
  finishUnary(payload: Buffer, trailers: Metadata | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const stream = this.stream as ServerHttp2Stream & { [PENDING_TRAILERS]?: OutgoingHttpHeaders };
    if (stream.destroyed || stream.closed) return;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(PLAIN_HEADERS, WAIT_FOR_TRAILERS);
    }
    if (trailers !== undefined) {
      const block = trailers.toHttp2Headers();
      block['grpc-status'] = '0';
      block['grpc-message'] = 'OK';
      stream[PENDING_TRAILERS] = block;
    }
    stream.on('wantTrailers', sendPendingTrailers);
    stream.end(encodeFrame(0, payload, Buffer.allocUnsafe));
  }

  /** The stream closed (status sent, client cancel, RST_STREAM, connection gone, node shutdown). */
  closed(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.finished) return;
    this.finished = true;
    this.call?.cancel();
  }

  /** grpc-timeout elapsed: DEADLINE_EXCEEDED to the client, 'cancelled' to the handler (as grpc-js does). */
  deadlineExceeded(): void {
    this.finish({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
    this.call?.cancel();
  }
}
