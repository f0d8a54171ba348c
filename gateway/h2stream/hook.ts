/**
 * Puts `NativeStreams` in front of grpc-js on grpc-js's own HTTP/2 server(s), so one port (and one connection) serves
 * the player services' native unary calls and server streams from our path and everything else (node links, admin,
 * client/bidi streams, unknown methods, wrong content types) from grpc-js. This and header-metadata.ts (the lazy
 * request metadata, over `Metadata.internalRepr`) are the places that touch grpc-js's private surface; both check it
 * and fall back to plain grpc-js behaviour, with a warning from here.
 */
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { LAZY_METADATA_WORKS } from './header-metadata.js';
import type { NativeStreams } from './serve.js';

/** The private parts of grpc-js's Server read here. */
interface GrpcJsPrivate {
  http2Servers?: unknown;
  onStreamOpened?: unknown;
}

type StreamListener = (this: Http2Server, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/**
 * The @grpc/grpc-js version whose private parts this file and header-metadata.ts were checked against. package.json
 * pins exactly this version and test/gateway/h2stream/grpc-js-version.test.ts fails when another is installed, so an
 * upgrade is a deliberate act: re-read grpc-js's build/src/server.js and metadata.js, then change this.
 */
export const HOOKED_GRPC_JS_VERSION = '1.14.7';

/** Tags our 'stream' listener, so a second install skips the servers already hooked. */
const OURS = Symbol('quarry.nativeStreams');

/**
 * Written against @grpc/grpc-js `HOOKED_GRPC_JS_VERSION` (build/src/server.js): `Server.http2Servers` is a Map whose keys are the
 * `http2.Server`s made by `bindAsync` and `createConnectionInjector` (both through `createHttp2Server`), each with
 * exactly one 'stream' listener added by `_setupHandlers` (the call dispatcher); `onStreamOpened(stream)` counts the
 * stream as an open call of its session for `grpc.max_connection_idle_ms` until the stream closes.
 * The listener is replaced by one that hands our methods to `streams` and calls grpc-js's for the rest. Calls we
 * serve are counted through `onStreamOpened` too, so a connection carrying only a Subscribe is not idle. grpc-js's
 * other per-stream duty, `grpc.max_concurrent_streams`, is an HTTP/2 setting nghttp2 enforces before any listener.
 * When the surface is not as expected, nothing is changed and grpc-js keeps serving every call (correct, with more
 * memory per stream and CPU per call); `warn` is told why. Call after binding (or after creating an injector); again for a later one.
 */
export function installNativeStreams(grpc: Server, streams: NativeStreams, warn: (reason: string) => void): boolean {
  const priv = grpc as unknown as GrpcJsPrivate;
  const servers = priv.http2Servers;
  const onStreamOpened = priv.onStreamOpened;
  if (!(servers instanceof Map)) return refuse(warn, 'grpc-js Server has no http2Servers map');
  if (typeof onStreamOpened !== 'function') return refuse(warn, 'grpc-js Server has no onStreamOpened');
  const fresh = [...servers.keys()].filter((s) => !(s as Http2Server).listeners?.('stream').some((l) => OURS in l));
  if (fresh.length === 0) return refuse(warn, 'grpc-js Server has no HTTP/2 server to hook (not bound yet?)');
  const originals: StreamListener[] = [];
  for (const server of fresh) {
    const listeners = typeof (server as Http2Server).listeners === 'function' ? (server as Http2Server).listeners('stream') : [];
    if (listeners.length !== 1) return refuse(warn, `grpc-js HTTP/2 server has ${listeners.length} 'stream' listeners, expected 1`);
    originals.push(listeners[0] as StreamListener);
  }
  if (!LAZY_METADATA_WORKS) warn('grpc-js Metadata keeps no internalRepr field to read lazily; native calls build their full request metadata (more CPU per call)');
  for (const [i, server] of fresh.entries()) {
    const original = originals[i]!;
    (server as Http2Server).removeListener('stream', original);
    // Node's 'stream' arguments passed on as they are (no rest array: every unary call goes through here).
    const listener = function (this: Http2Server, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]): void {
      const route = streams.routeOf(headers);
      if (route === undefined) return original.call(this, stream, headers, flags, rawHeaders);
      (onStreamOpened as (s: ServerHttp2Stream) => void).call(grpc, stream);
      streams.serve(stream, headers, route);
    };
    (server as Http2Server).on('stream', Object.assign(listener, { [OURS]: true }));
  }
  return true;
}

function refuse(warn: (reason: string) => void, reason: string): false {
  warn(`${reason}; native player calls stay on grpc-js (more memory per open stream, more CPU per unary call)`);
  return false;
}
