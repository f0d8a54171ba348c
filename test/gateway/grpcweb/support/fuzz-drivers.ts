/** Sends many inputs fast: pipelined HTTP/1.1 on a few sockets, many HTTP/2 streams on a few sessions. */
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import type { H2Input } from './fuzz-inputs.js';

export interface Http1Answer {
  status: number;
  body: Buffer;
}

/** Incremental HTTP/1.1 response parser (Content-Length or chunked), enough for our server's answers. */
export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  readonly answers: Http1Answer[] = [];

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(head[0]!.split(' ')[1]);
      const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let at = end + 4;
      let body: Buffer;
      if (headers.get('transfer-encoding') === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const lineEnd = this.buf.indexOf('\r\n', at);
          if (lineEnd < 0) return;
          const size = parseInt(this.buf.subarray(at, lineEnd).toString('latin1'), 16);
          if (this.buf.length < lineEnd + 2 + size + 2) return;
          parts.push(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
          at = lineEnd + 2 + size + 2;
          if (size === 0) break;
        }
        body = Buffer.concat(parts);
      } else {
        const len = Number(headers.get('content-length') ?? 0);
        if (this.buf.length < at + len) return;
        body = this.buf.subarray(at, at + len);
        at += len;
      }
      this.answers.push({ status, body: Buffer.from(body) });
      this.buf = this.buf.subarray(at);
    }
  }
}

/** Writes `requests` pipelined on one connection in batches; resolves with every answer, in order. */
export async function pipeline(port: number, requests: Buffer[], batch: number, timeoutMs: number): Promise<Http1Answer[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  const parser = new ResponseParser();
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    parser.push(c);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('close', () => wake?.());
  socket.on('error', () => undefined);
  try {
    for (let i = 0; i < requests.length; i += batch) {
      const want = Math.min(requests.length, i + batch);
      socket.write(Buffer.concat(requests.slice(i, want)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`http1 fuzz: answers ${parser.answers.length} of ${want} after ${timeoutMs} ms; next unanswered request starts ${JSON.stringify(requests[parser.answers.length]?.subarray(0, 300).toString('latin1'))}`)), timeoutMs);
        wake = () => {
          if (parser.answers.length >= want || socket.destroyed) {
            clearTimeout(timer);
            resolve();
          }
        };
        wake();
      });
      if (socket.destroyed) throw new Error(`http1 fuzz: server closed the connection after ${parser.answers.length} of ${requests.length} answers`);
    }
    return parser.answers;
  } finally {
    socket.destroy();
    await closed;
  }
}

/** Sends each input as one HTTP/2 stream, at most `inFlight` at once; resolves with the counts of endings. */
export async function h2Streams(port: number, inputs: H2Input[], inFlight: number): Promise<{ closed: number; rstOrError: number }> {
  const session = h2connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  let next = 0;
  let closed = 0;
  let rstOrError = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const start = (): void => {
        if (next >= inputs.length) return;
        const input = inputs[next++]!;
        let stream;
        try {
          stream = session.request(input.headers);
        } catch (err) {
          return reject(err);
        }
        stream.on('error', () => (rstOrError += 1));
        stream.resume();
        stream.on('close', () => {
          closed += 1;
          if (closed === inputs.length) resolve();
          else start();
        });
        stream.end(input.body);
      };
      session.once('close', () => {
        if (closed < inputs.length) reject(new Error(`h2 fuzz: session closed after ${closed} of ${inputs.length} streams`));
      });
      for (let i = 0; i < inFlight; i++) start();
    });
    return { closed, rstOrError };
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
}

/** Writes garbage on a fresh connection and waits for the server to close it; false if it never does. */
export function garbage(port: number, bytes: Buffer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
