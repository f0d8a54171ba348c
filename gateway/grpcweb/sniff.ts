import type { Socket } from 'node:net';

/** Every HTTP/2 connection starts with this client preface (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** 'h2' / 'http1' once the first bytes decide it, undefined while they could still be either. */
export function classifyPrefix(prefix: Buffer): 'h2' | 'http1' | undefined {
  const n = Math.min(prefix.length, HTTP2_PREFACE.length);
  if (prefix.subarray(0, n).compare(HTTP2_PREFACE, 0, n) !== 0) return 'http1';
  return n === HTTP2_PREFACE.length ? 'h2' : undefined;
}

/** How long a new connection may stay silent before single-port mode drops it, in ms. @default 10000 */
export const DEFAULT_SNIFF_TIMEOUT_MS = 10_000;

/**
 * Reads just enough of a new connection to tell HTTP/2 from HTTP/1.1, puts the bytes back and hands the
 * socket over, so one port serves native gRPC and gRPC-web.
 */
export function sniffConnection(socket: Socket, timeoutMs: number, route: (kind: 'h2' | 'http1', socket: Socket) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const kind = classifyPrefix(seen);
    if (!kind) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    route(kind, socket);
    process.nextTick(() => socket.resume());
  };
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', cleanup);
    socket.off('error', cleanup);
  };
  socket.on('data', onData);
  socket.once('close', cleanup);
  socket.once('error', cleanup);
}
