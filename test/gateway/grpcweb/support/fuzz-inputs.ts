/**
 * Deterministic generators of bad inputs for both protocols. Every input lacks a valid token, so no
 * generated call may change the fake service's state, whatever the decoder makes of the bytes.
 */
import { seededRandom } from '../../../../actors/hunt/generator.js';
import { encodeFrame as encode } from '../../../../gateway/grpc-frame.js';

/** A frame as a Buffer (the inputs are edited in place). */
const encodeFrame = (flag: number, payload: Uint8Array): Buffer => encode(flag, payload, Buffer.allocUnsafe);

export type Rng = () => number;

/** Seedable (mulberry32, as the hunt generator uses); the seed is printed by the test so a failure can be replayed. */
export function rng(seed: number): Rng {
  return seededRandom(seed);
}

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export function bytes(r: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.!~ ';
const junk = (r: Rng, max: number): string => Array.from({ length: int(r, max) }, () => pick(r, [...TOKEN_CHARS])).join('');

export const PATHS = ['/quarry.hunt.v1.Hunt/ReportFix', '/quarry.hunt.v1.Hunt/Subscribe', '/quarry.hunt.v1.Hunt/GetLeaderboard', '/quarry.hunt.v1.Hunt/Nope', '/x', '/quarry.hunt.v1.Hunt/'];
const AUTH_HEADERS = (r: Rng): string | undefined => pick(r, [undefined, 'Bearer', `Bearer ${junk(r, 80)}`, `Basic ${junk(r, 20)}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.']);

/** A body for one request: frames that lie about their length, random flags, random payloads, or noise. */
export function badBody(r: Rng, maxMessageBytes: number): Buffer {
  switch (int(r, 7)) {
    case 0: return bytes(r, int(r, 40));
    case 1: { // declared length disagrees with the payload
      const f = encodeFrame(0, bytes(r, int(r, 30)));
      f.writeUInt32BE(f.length - 5 + 1 + int(r, 50), 1);
      return f;
    }
    case 2: { const f = encodeFrame(0, bytes(r, int(r, 20))); f[0] = int(r, 256); return f; }
    case 3: { const f = encodeFrame(0, Buffer.alloc(0)); f.writeUInt32BE(maxMessageBytes + 1 + int(r, 1 << 30), 1); return f; }
    case 4: return encodeFrame(0, bytes(r, int(r, 60))); // random protobuf, no token
    case 5: return Buffer.concat([encodeFrame(0, bytes(r, 8)), bytes(r, 1 + int(r, 8))]);
    default: return Buffer.from(junk(r, 30));
  }
}

export interface WebInput {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export function badWebInput(r: Rng, maxMessageBytes: number): WebInput {
  const type = pick(r, ['application/grpc-web+proto', 'application/grpc-web', 'application/grpc-web-text', 'application/grpc-web-text+proto', 'application/grpc-web+json']);
  const headers: Record<string, string> = { 'content-type': type };
  const auth = AUTH_HEADERS(r);
  if (auth !== undefined) headers.authorization = auth;
  if (r() < 0.2) headers['grpc-timeout'] = pick(r, ['1S', '0n', junk(r, 10), '99999999H', '']);
  if (r() < 0.1) headers['x-trace-bin'] = junk(r, 12);
  let body = badBody(r, maxMessageBytes);
  if (type.includes('text')) body = r() < 0.5 ? Buffer.from(body.toString('base64')) : Buffer.from(junk(r, 40));
  return { path: pick(r, PATHS), headers, body };
}

/** HTTP/1.1 request bytes with an honest Content-Length, so requests can be pipelined. */
export function http1Request(input: WebInput): Buffer {
  const head = [`POST ${input.path} HTTP/1.1`, 'host: fuzz', `content-length: ${input.body.length}`, ...Object.entries(input.headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), input.body]);
}

export interface H2Input {
  headers: Record<string, string>;
  body: Buffer;
}

export function badH2Input(r: Rng, maxMessageBytes: number): H2Input {
  const headers: Record<string, string> = {
    ':method': pick(r, ['POST', 'POST', 'GET', 'PUT']),
    ':path': pick(r, PATHS),
    'content-type': pick(r, ['application/grpc', 'application/grpc+proto', 'application/grpc', 'text/plain', 'application/grpc-web']),
  };
  if (r() < 0.8) headers.te = 'trailers';
  const auth = AUTH_HEADERS(r);
  if (auth !== undefined) headers.authorization = auth;
  if (r() < 0.2) headers['grpc-timeout'] = pick(r, ['1S', '0n', junk(r, 10), '99999999H']);
  if (r() < 0.15) headers['grpc-encoding'] = pick(r, ['gzip', 'deflate', 'snappy', junk(r, 6)]);
  return { headers, body: badBody(r, maxMessageBytes) };
}

/** Bytes for a connection that is not a valid exchange at all (half of them after a valid h2 preface). */
export function garbageConnection(r: Rng): Buffer {
  const noise = bytes(r, 1 + int(r, 200));
  switch (int(r, 4)) {
    case 0: return Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), noise]);
    case 1: return Buffer.concat([Buffer.from('POST /quarry.hunt.v1.Hunt/ReportFix HTTP/1.1\r\n', 'latin1'), noise]);
    case 2: return Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n', 'latin1'), noise]);
    default: return noise;
  }
}
