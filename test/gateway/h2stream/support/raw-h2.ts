/**
 * A raw `node:http2` gRPC client for inputs no gRPC library sends (truncated frames, compressed flags, bad
 * timeouts) and for wire-level checks (trailers-only responses, several calls on one connection).
 */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export interface RawAnswer {
  headers: IncomingHttpHeaders;
  /** Trailers after the body; undefined for a trailers-only answer (status in `headers`). */
  trailers: IncomingHttpHeaders | undefined;
  /** Length-prefixed messages of the body (payload bytes). */
  messages: Buffer[];
  /** grpc-status and grpc-message, wherever they came. */
  code: number;
  details: string;
}

export function frame(payload: Buffer, flag = 0, length = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, payload]);
}

export function rawSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
  });
}

/** Sends `body` (already framed) on `path`, half-closes, and collects the whole answer. */
export function rawCall(session: ClientHttp2Session, path: string, body: Buffer, extra: OutgoingHttpHeaders = {}, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc+proto', te: 'trailers', ...extra });
    const timer = setTimeout(() => {
      req.close();
      reject(new Error(`raw call ${path}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const messages: Buffer[] = [];
      for (let at = 0; at + 5 <= all.length; ) {
        const len = all.readUInt32BE(at + 1);
        messages.push(all.subarray(at + 5, at + 5 + len));
        at += 5 + len;
      }
      const from = trailers ?? headers;
      resolve({ headers, trailers, messages, code: Number(from['grpc-status']), details: decodeURIComponent(String(from['grpc-message'] ?? '')) });
    });
    req.end(body);
  });
}
