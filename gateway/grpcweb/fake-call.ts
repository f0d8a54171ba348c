/**
 * grpc-js call objects for handlers invoked over gRPC-web. They mirror ServerUnaryCallImpl and
 * ServerWritableStreamImpl closely enough that a handler cannot tell which protocol it is serving:
 * `cancelled` + the 'cancelled' event, `getDeadline()`, `sendMetadata()`, backpressured `write()`,
 * `end(trailers)`, and errors by `emit('error')` or `destroy(err)` as grpc-js accepts them.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Metadata, status, type Deadline, type ServerUnaryCall, type ServerWritableStream, type StatusObject } from '@grpc/grpc-js';

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
  peer: string;
  metadata: Metadata;
  deadline: Deadline;
  sink: ResponseSink;
}

type Surface = Pick<ServerUnaryCall<unknown, unknown>, 'getPeer' | 'getDeadline' | 'getPath' | 'getHost' | 'getAuthContext' | 'getMetricsRecorder' | 'sendMetadata'>;

function surface(ctx: CallContext): Surface {
  return {
    getPeer: () => ctx.peer,
    getDeadline: () => ctx.deadline,
    getPath: () => ctx.path,
    getHost: () => ctx.host,
    getAuthContext: () => ({}),
    // No ORCA load reporting over gRPC-web: a recorder that records nothing.
    getMetricsRecorder: () => new Proxy({}, { get: () => () => undefined }) as ReturnType<Surface['getMetricsRecorder']>,
    sendMetadata: (md: Metadata) => ctx.sink.sendHeaders(md),
  };
}

/** grpc-js turns a handler's error into a status the same way: code (default UNKNOWN), details, metadata. */
export function errorToStatus(err: unknown): Partial<StatusObject> {
  const e = err as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown } | null;
  const code = typeof e?.code === 'number' && e.code >= 0 && e.code <= 16 ? e.code : status.UNKNOWN;
  const details = typeof e?.details === 'string' ? e.details : typeof e?.message === 'string' ? e.message : 'Unknown Error';
  return { code, details, metadata: e?.metadata instanceof Metadata ? e.metadata : new Metadata() };
}

export class WebUnaryCall extends EventEmitter implements ServerUnaryCall<unknown, unknown> {
  cancelled = false;
  readonly metadata: Metadata;
  readonly getPeer; readonly getDeadline; readonly getPath; readonly getHost; readonly getAuthContext; readonly getMetricsRecorder; readonly sendMetadata;

  constructor(ctx: CallContext, readonly request: unknown) {
    super();
    this.metadata = ctx.metadata;
    ({ getPeer: this.getPeer, getDeadline: this.getDeadline, getPath: this.getPath, getHost: this.getHost, getAuthContext: this.getAuthContext, getMetricsRecorder: this.getMetricsRecorder, sendMetadata: this.sendMetadata } = surface(ctx));
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

export class WebWritableStream extends Writable implements ServerWritableStream<unknown, unknown> {
  cancelled = false;
  readonly metadata: Metadata;
  readonly getPeer; readonly getDeadline; readonly getPath; readonly getHost; readonly getAuthContext; readonly getMetricsRecorder; readonly sendMetadata;
  private trailers: Metadata | undefined;
  private failed: Partial<StatusObject> | undefined;

  constructor(private readonly ctx: CallContext, readonly request: unknown, private readonly serialize: (value: unknown) => Buffer) {
    super({ objectMode: true, highWaterMark: 16 });
    this.metadata = ctx.metadata;
    ({ getPeer: this.getPeer, getDeadline: this.getDeadline, getPath: this.getPath, getHost: this.getHost, getAuthContext: this.getAuthContext, getMetricsRecorder: this.getMetricsRecorder, sendMetadata: this.sendMetadata } = surface(ctx));
    // As in grpc-js: an error from the handler ends the call with its status instead of throwing.
    this.on('error', (err) => {
      this.failed ??= errorToStatus(err);
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

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}
