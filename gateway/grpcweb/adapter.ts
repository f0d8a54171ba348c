/**
 * Serves gRPC-web (binary and text) over HTTP/1.1 by calling the grpc-js handlers of the same service
 * implementations directly, so no handler is written twice and there is no second network hop.
 * Unary and server-streaming methods; client streaming cannot be expressed in gRPC-web over fetch/XHR.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { corsHeaders, preflight } from './cors.js';
import { WebUnaryCall, WebWritableStream, type CallContext } from './fake-call.js';
import { handlerErrorStatus, refusalStatus } from '../errors.js';
import { FRAME_HEADER_BYTES, readFrameHeader } from '../grpc-frame.js';
import { FrameError, checkRequestHeader, decodeBase64Text, decodeSingleMessage, maxRequestBodyBytes } from './frames.js';
import { MetadataError, headersToMetadata } from './metadata.js';
import { buildRoutes, type Route, type ServiceBinding } from './routes.js';
import { InvalidGrpcTimeoutError, parseGrpcTimeoutMs } from './timeout.js';
import { WebResponse } from './web-response.js';

export interface GrpcWebOptions {
  services: readonly ServiceBinding[];
  /** Largest request message accepted, in bytes (the node's `gateway.maxMessageBytes`). */
  maxMessageBytes: number;
  /** Origins allowed to call cross-origin; `*` allows any. Same-origin calls need no entry. */
  corsOrigins: readonly string[];
}

/** Invalid adapter options; the message names the option and the rule. */
export class GrpcWebOptionsError extends Error {
  override readonly name = 'GrpcWebOptionsError';
}

/** Longest delay setTimeout honours; a later deadline is as good as none for one call. */
const MAX_TIMER_MS = 2_147_483_647;

/** The content type nearly every binary-mode client sends; matched before the general pattern. */
const BINARY_PROTO = 'application/grpc-web+proto';

const statusOf = (code: status, details: string): Partial<StatusObject> => ({ code, details, metadata: new Metadata() });

export class GrpcWebAdapter {
  private readonly routes: Map<string, Route>;
  private readonly active = new Set<WebUnaryCall | WebWritableStream>();

  constructor(private readonly options: GrpcWebOptions) {
    if (!Number.isInteger(options.maxMessageBytes) || options.maxMessageBytes < 1) {
      throw new GrpcWebOptionsError(`maxMessageBytes must be a positive integer, got ${options.maxMessageBytes}`);
    }
    this.routes = buildRoutes(options.services);
  }

  /** True for gRPC-web calls and for CORS preflights of known methods; anything else is not ours. */
  handles(req: IncomingMessage): boolean {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/grpc-web')) return true;
    return req.method === 'OPTIONS' && this.routes.has(pathOf(req));
  }

  /** Calls in flight (unary and streams); a test or shutdown can wait for it to reach 0. */
  get activeCalls(): number {
    return this.active.size;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      const answer = preflight(origin, this.options.corsOrigins, req.headers['access-control-request-headers']);
      res.writeHead(answer.status, answer.headers).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, OPTIONS', 'content-length': '0' }).end();
      return;
    }
    const type = req.headers['content-type'] ?? '';
    const text = type.startsWith('application/grpc-web-text');
    if (type !== BINARY_PROTO && !/^application\/grpc-web(-text)?(\+proto)?(;|$)/.test(type)) {
      res.writeHead(415, { 'content-length': '0' }).end();
      return;
    }
    const web = new WebResponse(res, text, corsHeaders(origin, this.options.corsOrigins));
    const path = pathOf(req);
    const route = this.routes.get(path);
    if (!route) return web.finish(statusOf(status.UNIMPLEMENTED, `unknown method ${path}`));
    if (route.method.requestStream) return web.finish(statusOf(status.UNIMPLEMENTED, `${path} streams requests, which gRPC-web cannot carry`));

    let deadlineMs: number | undefined;
    const timeout = String(req.headers['grpc-timeout'] ?? '');
    if (timeout !== '') {
      deadlineMs = parseGrpcTimeoutMs(timeout);
      if (deadlineMs === undefined) return web.finish(refusalStatus(new InvalidGrpcTimeoutError(timeout)));
    }
    let metadata: Metadata;
    try {
      metadata = headersToMetadata(req.headers);
    } catch (err) {
      if (err instanceof MetadataError) return web.finish(statusOf(status.INVALID_ARGUMENT, err.message));
      throw err;
    }
    const ctx: CallContext = {
      path,
      host: req.headers.host ?? '',
      socket: req.socket,
      metadata,
      startedAtMs: deadlineMs === undefined ? 0 : Date.now(),
      deadlineMs,
      sink: web,
    };
    let call: WebUnaryCall | WebWritableStream | undefined;
    const timer = deadlineMs === undefined || deadlineMs > MAX_TIMER_MS ? undefined : setTimeout(() => {
      web.finish(statusOf(status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
      call?.cancel();
    }, deadlineMs);
    // A response emits 'close' after 'finish', and also when the client goes away first: one listener serves both.
    // `on`, not `once`: each emits at most once per request, and a `once` wrapper is two more objects per call.
    res.on('close', () => {
      // The client went away (abort, reset, deadline on its side) before the status was written.
      if (!web.finished) {
        web.finished = true;
        call?.cancel();
      }
      if (timer) clearTimeout(timer);
      if (call) this.active.delete(call);
    });

    this.readBody(req, text, (err, body) => {
      if (web.finished) return;
      if (err) return web.finish(frameErrorStatus(err));
      let request: unknown;
      try {
        request = route.method.requestDeserialize(decodeSingleMessage(body!, this.options.maxMessageBytes));
      } catch (e) {
        if (e instanceof FrameError) return web.finish(frameErrorStatus(e));
        return web.finish(statusOf(status.INVALID_ARGUMENT, `request is not a valid ${route.method.path} message: ${(e as Error).message}`));
      }
      call = this.invoke(route, ctx, request, web);
      if (call && !web.finished) this.active.add(call);
    });
  }

  private invoke(route: Route, ctx: CallContext, request: unknown, web: WebResponse): WebUnaryCall | WebWritableStream | undefined {
    try {
      if (!route.method.responseStream) {
        const call = new WebUnaryCall(ctx, request);
        (route.handler as (c: unknown, cb: (...a: unknown[]) => void) => void)(call, (err, value, trailers) => {
          if (web.finished) return;
          if (err) return web.finish(handlerErrorStatus(err, trailers instanceof Metadata ? trailers : undefined));
          let payload: Buffer;
          try {
            payload = route.method.responseSerialize(value);
          } catch (e) {
            return web.finish(statusOf(status.INTERNAL, `cannot serialize response: ${(e as Error).message}`));
          }
          web.finishUnary(payload, trailers instanceof Metadata ? trailers : undefined);
        });
        return call;
      }
      const stream = new WebWritableStream(ctx, request, route.method.responseSerialize);
      (route.handler as (c: unknown) => void)(stream);
      return stream;
    } catch (e) {
      web.finish(statusOf(status.UNKNOWN, `handler failed: ${(e as Error).message}`));
      return undefined;
    }
  }

  /** Collects the body (chunked or not) up to the size one message can need, rejecting early when possible. */
  private readBody(req: IncomingMessage, text: boolean, cb: (err: FrameError | undefined, body?: Buffer) => void): void {
    const capBytes = maxRequestBodyBytes(this.options.maxMessageBytes, text);
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (err: FrameError): void => {
      if (settled) return;
      settled = true;
      // Stop buffering; Node discards the rest of the body once the response has ended.
      req.removeListener('data', onData);
      cb(err);
    };
    const onData = (chunk: Buffer): void => {
      const before = received;
      received += chunk.length;
      // The header check comes first: its reason names the message size, not just the body size.
      if (before < (text ? 8 : FRAME_HEADER_BYTES)) this.checkEarly(chunks.length === 0 ? chunk : Buffer.concat([...chunks, chunk]), text, fail);
      if (settled) return;
      if (received > capBytes) return fail(new FrameError('too-large', `request body exceeds ${capBytes} bytes (maxMessageBytes ${this.options.maxMessageBytes})`));
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (settled) return;
      settled = true;
      // Most bodies arrive in one chunk: no copy (the message is decoded before the next read).
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      try {
        cb(undefined, text ? decodeBase64Text(raw.toString('latin1')) : raw);
      } catch (e) {
        cb(e instanceof FrameError ? e : new FrameError('malformed', (e as Error).message));
      }
    });
    req.on('error', () => fail(new FrameError('malformed', 'request body aborted')));
  }

  /** Rejects an oversized message from its header alone, before its payload arrives. */
  private checkEarly(prefix: Buffer, text: boolean, fail: (err: FrameError) => void): void {
    let head: Buffer;
    if (text) {
      if (prefix.length < 8) return;
      try {
        head = decodeBase64Text(prefix.subarray(0, 8).toString('latin1'));
      } catch (e) {
        return fail(e as FrameError);
      }
    } else head = prefix;
    if (head.length < FRAME_HEADER_BYTES) return;
    try {
      checkRequestHeader(readFrameHeader(head), this.options.maxMessageBytes);
    } catch (e) {
      fail(e as FrameError);
    }
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function frameErrorStatus(err: FrameError): Partial<StatusObject> {
  const code = err.kind === 'too-large' ? status.RESOURCE_EXHAUSTED : err.kind === 'compressed' ? status.UNIMPLEMENTED : status.INVALID_ARGUMENT;
  return statusOf(code, err.message);
}
