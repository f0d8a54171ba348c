/**
 * grpc-js call objects for handlers invoked over gRPC-web. They mirror ServerUnaryCallImpl and
 * ServerWritableStreamImpl closely enough that a handler cannot tell which protocol it is serving:
 * `cancelled` + the 'cancelled' event, `getDeadline()`, `sendMetadata()`, backpressured `write()`,
 * `end(trailers)`, and errors by `emit('error')` or `destroy(err)` as grpc-js accepts them.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Metadata, status, type Deadline, type ServerUnaryCall, type ServerWritableStream, type StatusObject } from '@grpc/grpc-js';
import { handlerErrorStatus } from '../errors.js';

/** What a call writes to; implemented by the HTTP/1.1 response in adapter.ts. */
export interface ResponseSink {
  sendHeaders(md?: Metadata): void;
  /** Calls back when the bytes are handed to the socket (or buffered below its high-water mark). */
  sendMessage(payload: Buffer, done: () => void): void;
  finish(result: Partial<StatusObject>): void;
}

export interface CallContext {
  path: string;
  host: string;
  /** The client's socket; its `address:port` is formatted only when a handler asks (most never do). */
  socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined };
  metadata: Metadata;
  /** When the call started (Date.now()) and its grpc-timeout; the Date is built only when a handler asks. */
  startedAtMs: number;
  deadlineMs: number | undefined;
  sink: ResponseSink;
}

// No ORCA load reporting over gRPC-web: a recorder that records nothing, shared by every call.
const NO_METRICS_RECORDER = new Proxy({}, { get: () => () => undefined }) as ReturnType<ServerUnaryCall<unknown, unknown>['getMetricsRecorder']>;

function peerOf(ctx: CallContext): string {
  return `${ctx.socket.remoteAddress ?? 'unknown'}:${ctx.socket.remotePort ?? 0}`;
}

function deadlineOf(ctx: CallContext): Deadline {
  return ctx.deadlineMs === undefined ? Infinity : new Date(ctx.startedAtMs + ctx.deadlineMs);
}

/** What both call kinds answer from their context, as grpc-js's calls do. */
interface CallSurface {
  getPeer(): string;
  getDeadline(): Deadline;
  getPath(): string;
  getHost(): string;
  getAuthContext(): ReturnType<ServerUnaryCall<unknown, unknown>['getAuthContext']>;
  getMetricsRecorder(): typeof NO_METRICS_RECORDER;
  sendMetadata(md: Metadata): void;
  /** Marks the call cancelled and tells the handler ('cancelled'), once. */
  cancel(): void;
}

type SurfaceHost = { readonly ctx: CallContext; cancelled: boolean; emit(event: 'cancelled', reason: string): boolean };

// Prototype methods reading the context (as in grpc-js), installed on both classes below, not closures made per call:
// a unary gRPC-web fix allocated seven of them plus a Proxy (bench gateway).
const callSurface: CallSurface & ThisType<SurfaceHost> = {
  getPeer() { return peerOf(this.ctx); },
  getDeadline() { return deadlineOf(this.ctx); },
  getPath() { return this.ctx.path; },
  getHost() { return this.ctx.host; },
  getAuthContext() { return {}; },
  getMetricsRecorder() { return NO_METRICS_RECORDER; },
  sendMetadata(md) { this.ctx.sink.sendHeaders(md); },
  cancel() {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  },
};

export interface WebUnaryCall extends CallSurface {}
export class WebUnaryCall extends EventEmitter implements ServerUnaryCall<unknown, unknown> {
  cancelled = false;
  readonly metadata: Metadata;

  /** @param ctx read by the shared call surface only */
  constructor(readonly ctx: CallContext, readonly request: unknown) {
    super();
    this.metadata = ctx.metadata;
  }
}
Object.assign(WebUnaryCall.prototype, callSurface);

export interface WebWritableStream extends CallSurface {}
export class WebWritableStream extends Writable implements ServerWritableStream<unknown, unknown> {
  cancelled = false;
  readonly metadata: Metadata;
  private trailers: Metadata | undefined;
  private failed: Partial<StatusObject> | undefined;

  constructor(readonly ctx: CallContext, readonly request: unknown, private readonly serialize: (value: unknown) => Buffer) {
    super({ objectMode: true, highWaterMark: 16 });
    this.metadata = ctx.metadata;
    // As in grpc-js: an error from the handler ends the call with its status instead of throwing.
    this.on('error', (err) => {
      this.failed ??= handlerErrorStatus(err);
      this.ctx.sink.finish(this.failed);
    });
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.cancelled) return callback();
    let payload: Buffer;
    try {
      payload = this.serialize(chunk);
    } catch (cause) {
      this.failed = { code: status.INTERNAL, details: `cannot serialize response: ${(cause as Error).message}` };
      return callback(cause as Error);
    }
    this.ctx.sink.sendMessage(payload, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.cancelled) this.ctx.sink.finish({ code: status.OK, details: 'OK', metadata: this.trailers ?? new Metadata() });
    callback();
  }

  override end(...args: unknown[]): this {
    if (args[0] instanceof Metadata) {
      this.trailers = args[0];
      return super.end();
    }
    return super.end(...(args as []));
  }
}
Object.assign(WebWritableStream.prototype, callSurface);
