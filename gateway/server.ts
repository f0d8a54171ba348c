/**
 * Starts the player edge's listeners around ONE grpc-js Server: its port speaks native gRPC (HTTP/2),
 * the HTTP port speaks gRPC-web to the same handlers and serves static files. The gRPC port is our own listener
 * handing each HTTP/2 connection to grpc-js through `Server.createConnectionInjector()`. With `singlePort` it also
 * answers gRPC-web and HTTP: the first bytes of each connection pick the protocol.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { GrpcWebAdapter } from './grpcweb/adapter.js';
import type { ServiceBinding } from './grpcweb/routes.js';
import { DEFAULT_SNIFF_TIMEOUT_MS, sniffConnection } from './grpcweb/sniff.js';
import { NativeStreams, installNativeStreams } from './h2stream/index.js';

/** How long close() lets finished calls' last frames reach the socket before it cuts the connections, in ms. @default 200 */
const FLUSH_BEFORE_CUT_MS = 200;

export interface GatewayServerOptions {
  host: string;
  /** Native gRPC port (0 = any free port); in single-port mode it serves everything. */
  grpcPort: number;
  /** gRPC-web and static files (0 = any free port); unused in single-port mode. */
  httpPort: number;
  singlePort?: boolean;
  services: readonly ServiceBinding[];
  maxMessageBytes: number;
  corsOrigins: readonly string[];
  /** Folder served for GET requests that are not gRPC-web (the player page); none when absent. */
  staticDir?: string;
  /**
   * An HTTP/2 connection without an open call for this long is closed (clients reconnect transparently).
   * It also reclaims connections a broken client left half-open after a protocol error. @default 300000
   */
  connectionIdleMs?: number;
  /**
   * Adds native-only services (node links, admin) to the grpc-js Server before it binds; they are not reachable
   * over gRPC-web, which serves only `services`.
   */
  beforeBind?: (server: Server) => void;
  /**
   * Largest message, in bytes, the native-only services of `beforeBind` accept: a node link's batch (up to the
   * link's queue bound) is far larger than any player message. grpc-js has one receive limit per Server, so the
   * Server takes the larger of the two and `services` keep `maxMessageBytes` by checking it themselves.
   * @default maxMessageBytes
   */
  nativeOnlyMaxMessageBytes?: number;
  /** Called for HTTP requests that are neither gRPC-web nor a static file (e.g. the inspector). */
  httpFallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Serve native unary and server-streaming methods of `services` (ReportFix, Subscribe, ...) from Node's http2
   * instead of grpc-js: ~2.8 KB less heap per open stream, less CPU per unary call (gateway/h2stream). Native-only
   * services (node links, admin) stay on grpc-js.
   * @default true
   */
  nativeStreams?: boolean;
  /** Told once when the native-call hook cannot be installed on this grpc-js version; a process warning when absent. */
  warn?: (message: string) => void;
  /**
   * TLS on both ports (native gRPC over HTTP/2, gRPC-web and the page over HTTPS), terminated by our own listeners.
   * With `clientCa`, a client that presents a certificate (a node link) must present one this CA signed, or its
   * connection is closed; a client without one (a player's phone) is served. Not with `singlePort`.
   */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /**
   * How long `close()` lets calls in flight finish (no new ones are taken) before it cuts every connection, in ms:
   * the answer to the operator's `node leave` that stops this node is such a call. Open event streams never finish,
   * so they are cut at the end of it.
   * @default 0 (cut at once)
   */
  closeGraceMs?: number;
}

export interface GatewayServer {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly grpc: Server;
  readonly grpcWeb: GrpcWebAdapter;
  /** Native player calls (unary and server streams) served beside grpc-js; undefined when disabled or the hook could not be installed. */
  readonly nativeStreams: NativeStreams | undefined;
  /** Stops accepting, ends open calls and connections; resolves when every listener is closed. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

/** Idle time after which an HTTP/2 connection with no open call is closed, in ms. @default 300000 */
export const DEFAULT_CONNECTION_IDLE_MS = 300_000;

/** Invalid server options; the message names the option and the rule. */
export class GatewayServerOptionsError extends Error {
  override readonly name = 'GatewayServerOptionsError';
}

export async function startGatewayServer(options: GatewayServerOptions): Promise<GatewayServer> {
  const connectionIdleMs = options.connectionIdleMs ?? DEFAULT_CONNECTION_IDLE_MS;
  if (!Number.isInteger(connectionIdleMs) || connectionIdleMs < 1) throw new GatewayServerOptionsError(`connectionIdleMs must be a positive integer, got ${connectionIdleMs}`);
  const grpc = new Server({
    'grpc.max_receive_message_length': Math.max(options.maxMessageBytes, options.nativeOnlyMaxMessageBytes ?? options.maxMessageBytes),
    'grpc.max_connection_idle_ms': connectionIdleMs,
    // Nothing reads channelz; its per-call counters and listeners cost ~300 B per open stream (bench gateway).
    'grpc.enable_channelz': 0,
  });
  for (const { definition, implementation } of options.services) grpc.addService(withMaxRequestBytes(definition, options.maxMessageBytes), implementation);
  options.beforeBind?.(grpc);
  const grpcWeb = new GrpcWebAdapter({ services: options.services, maxMessageBytes: options.maxMessageBytes, corsOrigins: options.corsOrigins });

  const http = createHttpServer((req, res) => {
    if (grpcWeb.handles(req)) return grpcWeb.handle(req, res);
    if (options.staticDir && (req.method === 'GET' || req.method === 'HEAD') && serveStatic(options.staticDir, req, res)) return;
    if (options.httpFallback) return options.httpFallback(req, res);
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' }).end('not found');
  });

  let nativeStreams = (options.nativeStreams ?? true) ? new NativeStreams({ services: options.services, maxMessageBytes: options.maxMessageBytes }) : undefined;
  // Right after bind (or after the injector is made), before a client can open a stream: the hook wraps the HTTP/2
  // servers grpc-js has created by then.
  const hookNativeStreams = (): void => {
    const warn = options.warn ?? ((message: string) => process.emitWarning(message, 'QuarryNativeStreams'));
    if (nativeStreams && !installNativeStreams(grpc, nativeStreams, warn)) nativeStreams = undefined;
  };

  // The native port is our own listener handing connections to grpc-js (`createConnectionInjector`), not `bindAsync`:
  // close() can then cut every HTTP/2 connection itself. With channelz off, grpc-js's forceShutdown destroys none, so an
  // open server stream would hold the shutdown forever (also when the native-call hook is not installed).
  const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
  hookNativeStreams();
  const h2Sockets = new Set<Socket>();
  const toGrpc = (socket: Socket): void => {
    h2Sockets.add(socket);
    socket.once('close', () => h2Sockets.delete(socket));
    injector.injectConnection(socket);
  };
  const tls = options.tls;
  if (tls && options.singlePort) throw new GatewayServerOptionsError('tls is not offered with singlePort');
  const native = tls
    ? tlsListener(tls, ['h2'], toGrpc)
    : createNetServer((socket: Socket) => {
        if (options.singlePort) sniffConnection(socket, DEFAULT_SNIFF_TIMEOUT_MS, (kind, s) => (kind === 'h2' ? toGrpc(s) : http.emit('connection', s)));
        else toGrpc(socket);
      });
  // The HTTP server parses whatever socket it is given: over TLS, the decrypted one.
  const httpListener = tls ? tlsListener(tls, ['http/1.1'], (s) => http.emit('connection', s)) : http;
  const grpcPort = await listen(native, options.host, options.grpcPort);
  const httpPort = options.singlePort ? grpcPort : await listen(httpListener, options.host, options.httpPort);

  return {
    grpcPort,
    httpPort,
    grpc,
    grpcWeb,
    nativeStreams,
    async close() {
      const closing: Promise<void>[] = [new Promise((r) => native.close(() => r()))];
      if (!options.singlePort) closing.push(new Promise((r) => httpListener.close(() => r())));
      http.closeAllConnections();
      const drained = new Promise<void>((r) => grpc.tryShutdown(() => r()));
      closing.push(drained);
      const graceMs = options.closeGraceMs ?? 0;
      if (graceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
        clearTimeout(timer);
        // A call that just finished (the operator's leave that stops this node) may still have its last frames queued
        // in its HTTP/2 session; on Node 24 cutting the sockets at once lost them ("Connection dropped").
        await new Promise<void>((r) => setTimeout(r, Math.min(FLUSH_BEFORE_CUT_MS, graceMs)));
      }
      // Open server streams would hold tryShutdown forever; the edge holds no state, so cut them.
      grpc.forceShutdown();
      for (const socket of h2Sockets) socket.destroy();
      await Promise.all(closing);
    },
  };
}

/** A TLS listener handing each established (and, with `clientCa`, acceptable) connection to `onSocket`. */
function tlsListener(tls: NonNullable<GatewayServerOptions['tls']>, alpn: string[], onSocket: (socket: Socket) => void): NetServer {
  const server = createTlsServer({ cert: tls.cert, key: tls.key, ALPNProtocols: alpn, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) }, (socket: TLSSocket) => {
    // Players present no certificate and are served; a certificate the cluster CA did not sign is refused here.
    if (tls.clientCa && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) return void socket.destroy();
    onSocket(socket);
  });
  // A failed handshake (a plain-text client, a client that refuses our certificate) concerns that client only.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}

function listen(server: HttpServer | NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Serves one file under `root`; false when there is none (paths escaping `root` never match). */
function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): boolean {
  let path: string;
  try {
    path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
  } catch {
    return false;
  }
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (!file.startsWith(normalize(root) + sep)) return false;
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return false;
    size = st.size;
  } catch {
    return false;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': String(size) });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}

/**
 * The player services' own size limit on grpc-js's path (the native hook serves them itself when installed): a
 * request over it fails to deserialize, which grpc-js answers INTERNAL "Error deserializing request".
 */
function withMaxRequestBytes(definition: ServiceDefinition, maxBytes: number): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        if (bytes.length > maxBytes) throw new RangeError(`request of ${bytes.length} bytes is larger than gateway.maxMessageBytes (${maxBytes})`);
        return decode(bytes);
      },
    };
  }
  return out;
}
