/**
 * A small fetch-based gRPC-web client (application/grpc-web+proto): unary calls and server streams whose
 * messages are handed over as their frames arrive, not when the response ends. DOM-free: it needs only
 * `fetch`, `ReadableStream`, `AbortController` and `TextDecoder`, which browsers and Node 20 both have.
 */
import { encodeFrame } from '../grpc-frame.js';
import { FrameParser, GrpcWebFramingError, parseTrailers, DEFAULT_MAX_FRAME_BYTES } from './grpcweb-frames.js';

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(Status).map(([name, code]) => [code, name]));

export function statusName(code: number): string {
  return STATUS_NAMES.get(code) ?? `STATUS_${code}`;
}

/** A call that ended with a non-OK gRPC status (from trailers, headers, HTTP status or the transport). */
export class GrpcWebError extends Error {
  override readonly name = 'GrpcWebError';
  constructor(
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`${statusName(code)}: ${details}`, options);
  }
}

/** What an HTTP status means when the server answered before speaking gRPC (gRPC's http-grpc-status-mapping). */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

export interface GrpcWebClientOptions {
  /** Origin (and optional path prefix) of the gRPC-web endpoint, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** Bearer token sent as `authorization`; read on every call so a refreshed token takes effect. */
  readonly token?: () => string | undefined;
  readonly fetch?: typeof fetch;
  readonly maxFrameBytes?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Sent as `grpc-timeout`; the server cancels the handler when it passes. */
  readonly timeoutMs?: number;
  /**
   * Called when the server's response headers arrive with HTTP 200: for a stream, the server has accepted the
   * call (a handler that calls `sendMetadata` right away signals this before its first message).
   */
  readonly onHeaders?: (headers: Headers) => void;
}

export class GrpcWebClient {
  private readonly fetchFn: typeof fetch;
  private readonly baseUrl: string;

  constructor(private readonly options: GrpcWebClientOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** One request, exactly one response message. */
  async unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Uint8Array> {
    let response: Uint8Array | undefined;
    for await (const message of this.serverStream(path, request, call)) {
      if (response !== undefined) throw new GrpcWebError(Status.INTERNAL, `${path}: unary call returned more than one message`);
      response = message;
    }
    if (response === undefined) throw new GrpcWebError(Status.INTERNAL, `${path}: unary call returned no message`);
    return response;
  }

  /**
   * Yields each response message as soon as its frame is complete. Ends normally on an OK trailer, throws
   * GrpcWebError otherwise. Breaking out of the loop or aborting `call.signal` cancels the HTTP request.
   */
  async *serverStream(path: string, request: Uint8Array, call: CallOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(call.signal?.reason);
    if (call.signal?.aborted) throw new GrpcWebError(Status.CANCELLED, `${path}: cancelled before start`);
    call.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let finished = false;
    try {
      const response = await this.send(path, request, call, abort.signal);
      const headerStatus = response.headers.get('grpc-status');
      if (!response.ok) {
        throw new GrpcWebError(
          headerStatus !== null ? Number(headerStatus) : statusFromHttp(response.status),
          decodeGrpcMessage(response.headers.get('grpc-message')) || `HTTP ${response.status}`,
        );
      }
      if (response.body === null) throw new GrpcWebError(Status.INTERNAL, `${path}: response has no body`);
      if (headerStatus === null) call.onHeaders?.(response.headers);
      reader = response.body.getReader();
      const parser = new FrameParser(this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
      let trailers: Map<string, string> | undefined;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const frame of parseOrFail(parser, value, path)) {
          if (trailers !== undefined) throw new GrpcWebError(Status.INTERNAL, `${path}: data after the trailer frame`);
          if (frame.trailer) {
            trailers = parseTrailersOrFail(frame.payload, path);
            continue;
          }
          if (frame.compressed) throw new GrpcWebError(Status.UNIMPLEMENTED, `${path}: compressed frames are not supported`);
          yield frame.payload;
        }
      }
      if (parser.bufferedBytes > 0) throw new GrpcWebError(Status.INTERNAL, `${path}: response ended inside a frame`);
      // A trailers-only response carries its status in the HTTP headers instead of a trailer frame.
      const status = trailers?.get('grpc-status') ?? headerStatus;
      const message = trailers?.get('grpc-message') ?? response.headers.get('grpc-message');
      if (status === undefined || status === null) throw new GrpcWebError(Status.INTERNAL, `${path}: response ended without grpc-status`);
      const code = Number(status);
      if (!Number.isInteger(code)) throw new GrpcWebError(Status.INTERNAL, `${path}: invalid grpc-status ${JSON.stringify(status)}`);
      if (code !== Status.OK) throw new GrpcWebError(code, decodeGrpcMessage(message) || statusName(code));
      finished = true;
    } catch (err) {
      if (err instanceof GrpcWebError) throw err;
      if (abort.signal.aborted) throw new GrpcWebError(Status.CANCELLED, `${path}: cancelled`, { cause: err });
      throw new GrpcWebError(Status.UNAVAILABLE, `${path}: ${(err as Error).message}`, { cause: err });
    } finally {
      call.signal?.removeEventListener('abort', onOuterAbort);
      if (!finished) {
        abort.abort();
        // The body may already be errored by the abort; nothing further to report.
        await reader?.cancel().catch(() => undefined);
      }
    }
  }

  private send(path: string, request: Uint8Array, call: CallOptions, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      'content-type': 'application/grpc-web+proto',
      accept: 'application/grpc-web+proto',
      'x-grpc-web': '1',
    };
    const token = this.options.token?.();
    if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
    if (call.timeoutMs !== undefined) headers['grpc-timeout'] = `${Math.max(1, Math.ceil(call.timeoutMs))}m`;
    return this.fetchFn(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: encodeFrame(0, request),
      signal,
    });
  }
}

function parseOrFail(parser: FrameParser, chunk: Uint8Array, path: string) {
  try {
    return parser.push(chunk);
  } catch (err) {
    if (err instanceof GrpcWebFramingError) throw new GrpcWebError(Status.INTERNAL, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

function parseTrailersOrFail(payload: Uint8Array, path: string): Map<string, string> {
  try {
    return parseTrailers(payload);
  } catch (err) {
    throw new GrpcWebError(Status.INTERNAL, `${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** `grpc-message` is percent-encoded on the wire; a malformed escape is shown as sent rather than thrown. */
export function decodeGrpcMessage(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
