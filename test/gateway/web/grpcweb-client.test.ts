import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GrpcWebClient, GrpcWebError, Status, decodeGrpcMessage, statusFromHttp } from '../../../gateway/web/grpcweb-client.js';
import { encodeFrame } from '../../../gateway/grpc-frame.js';
import { encodeTrailerFrame } from '../../../gateway/web/grpcweb-frames.js';
import { deferred, within } from './support/wait.js';

const bytes = (...xs: number[]) => Uint8Array.from(xs);

interface Seen {
  headers: IncomingMessage['headers'];
  body: Buffer;
  path: string;
}

type Script = (res: ServerResponse, seen: Seen) => void | Promise<void>;

/** An HTTP server that answers every request with a scripted byte sequence, recording what it got. */
async function scripted(script: Script): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { headers: req.headers, body: Buffer.concat(chunks), path: req.url ?? '' };
      seen.push(s);
      void script(res, s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const okHeaders = { 'content-type': 'application/grpc-web+proto' };

async function expectGrpcError(p: Promise<unknown>, code: number, detail: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof GrpcWebError, `expected GrpcWebError, got ${String(err)}`);
    assert.equal(err.name, 'GrpcWebError');
    assert.equal(err.code, code, `code for ${err.message}`);
    assert.match(err.details, detail);
    return true;
  });
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const m of it) out.push([...m]);
  return out;
}

describe('gateway/web grpc-web client', () => {
  let servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    servers = [];
  });
  async function serve(script: Script) {
    const s = await scripted(script);
    servers.push(s.server);
    return s;
  }

  it('sends a framed request with grpc-web headers, bearer token and grpc-timeout', async () => {
    const { url, seen } = await serve((res) => {
      res.writeHead(200, okHeaders);
      res.end(Buffer.concat([encodeFrame(0, bytes(42)), encodeTrailerFrame({ 'grpc-status': '0' })]));
    });
    const client = new GrpcWebClient({ baseUrl: `${url}/`, token: () => 'abc.def.ghi' });
    const reply = await client.unary('/pkg.Svc/Echo', bytes(1, 2), { timeoutMs: 1500 });
    assert.deepEqual([...reply], [42]);
    assert.equal(seen[0]!.path, '/pkg.Svc/Echo');
    assert.equal(seen[0]!.headers['content-type'], 'application/grpc-web+proto');
    assert.equal(seen[0]!.headers['x-grpc-web'], '1');
    assert.equal(seen[0]!.headers.authorization, 'Bearer abc.def.ghi');
    assert.equal(seen[0]!.headers['grpc-timeout'], '1500m');
    assert.deepEqual([...seen[0]!.body], [0, 0, 0, 0, 2, 1, 2]);
  });

  it('hands over each stream message before the server has sent the next', async () => {
    const firstSeen = deferred();
    const { url } = await serve(async (res) => {
      res.writeHead(200, okHeaders);
      res.write(encodeFrame(0, bytes(1)));
      await firstSeen.promise;
      // The second frame and the trailer straddle writes, split inside the header and the payload.
      const rest = Buffer.concat([encodeFrame(0, bytes(2, 3)), encodeTrailerFrame({ 'grpc-status': '0' })]);
      res.write(rest.subarray(0, 3));
      res.write(rest.subarray(3, 6));
      res.end(rest.subarray(6));
    });
    const stream = new GrpcWebClient({ baseUrl: url }).serverStream('/pkg.Svc/Stream', new Uint8Array(0));
    const first = await within(stream.next(), 5000, () => 'stream phase: first message expected before the server sends the second');
    assert.deepEqual([...first.value!], [1]);
    firstSeen.resolve();
    assert.deepEqual(await collect(stream), [[2, 3]]);
  });

  it('throws the trailer status with its percent-decoded message after the messages', async () => {
    const { url } = await serve((res) => {
      res.writeHead(200, okHeaders);
      res.end(Buffer.concat([encodeFrame(0, bytes(7)), encodeTrailerFrame({ 'grpc-status': '5', 'grpc-message': 'unknown%20building%20%22x%22' })]));
    });
    const got: number[][] = [];
    const run = (async () => {
      for await (const m of new GrpcWebClient({ baseUrl: url }).serverStream('/p.S/M', new Uint8Array(0))) got.push([...m]);
    })();
    await expectGrpcError(run, Status.NOT_FOUND, /^unknown building "x"$/);
    assert.deepEqual(got, [[7]]);
  });

  it('reads a trailers-only response (status in the HTTP headers, empty body)', async () => {
    const { url } = await serve((res) => {
      res.writeHead(200, { ...okHeaders, 'grpc-status': '16', 'grpc-message': 'token%20expired' });
      res.end();
    });
    await expectGrpcError(new GrpcWebClient({ baseUrl: url }).unary('/p.S/M', new Uint8Array(0)), Status.UNAUTHENTICATED, /^token expired$/);
  });

  it('maps HTTP errors without grpc-status per the gRPC HTTP mapping', async () => {
    const { url } = await serve((res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('busy');
    });
    await expectGrpcError(new GrpcWebClient({ baseUrl: url }).unary('/p.S/M', new Uint8Array(0)), Status.UNAVAILABLE, /^HTTP 503$/);
    const table: Array<[number, number]> = [[400, Status.INTERNAL], [401, Status.UNAUTHENTICATED], [403, Status.PERMISSION_DENIED], [404, Status.UNIMPLEMENTED], [429, Status.UNAVAILABLE], [502, Status.UNAVAILABLE], [504, Status.UNAVAILABLE], [500, Status.UNKNOWN]];
    for (const [http, grpc] of table) assert.equal(statusFromHttp(http), grpc, `HTTP ${http}`);
  });

  const broken: Array<[string, Buffer, number, RegExp]> = [
    ['no trailers', Buffer.from(encodeFrame(0, bytes(1))), Status.INTERNAL, /ended without grpc-status/],
    ['a truncated frame', Buffer.from(encodeFrame(0, bytes(1, 2, 3))).subarray(0, 6), Status.INTERNAL, /ended inside a frame/],
    ['data after the trailer', Buffer.concat([encodeTrailerFrame({ 'grpc-status': '0' }), encodeFrame(0, bytes(1))]), Status.INTERNAL, /data after the trailer frame/],
    ['a malformed trailer', Buffer.from(encodeFrame(0x80, new TextEncoder().encode('nonsense\r\n'))), Status.INTERNAL, /malformed trailer line/],
    ['a non-numeric status', Buffer.from(encodeTrailerFrame({ 'grpc-status': 'ok' })), Status.INTERNAL, /invalid grpc-status "ok"/],
    ['a compressed frame', Buffer.concat([encodeFrame(1, bytes(1)), encodeTrailerFrame({ 'grpc-status': '0' })]), Status.UNIMPLEMENTED, /compressed frames/],
    ['a frame over the size limit', Buffer.from([0, 0, 0x10, 0, 0]), Status.INTERNAL, /exceeds the 1024-byte limit/],
  ];
  for (const [what, body, code, detail] of broken) {
    it(`fails a response with ${what}`, async () => {
      const { url } = await serve((res) => {
        res.writeHead(200, okHeaders);
        res.end(body);
      });
      await expectGrpcError(collect(new GrpcWebClient({ baseUrl: url, maxFrameBytes: 1024 }).serverStream('/p.S/M', new Uint8Array(0))), code, detail);
    });
  }

  it('fails a unary call that gets zero or two messages', async () => {
    let messages = 0;
    const { url } = await serve((res) => {
      res.writeHead(200, okHeaders);
      res.end(Buffer.concat([...Array.from({ length: messages }, () => encodeFrame(0, bytes(1))), encodeTrailerFrame({ 'grpc-status': '0' })]));
    });
    const client = new GrpcWebClient({ baseUrl: url });
    await expectGrpcError(client.unary('/p.S/M', new Uint8Array(0)), Status.INTERNAL, /returned no message/);
    messages = 2;
    await expectGrpcError(client.unary('/p.S/M', new Uint8Array(0)), Status.INTERNAL, /returned more than one message/);
  });

  it('cancels the HTTP request when the signal aborts mid-stream, and the server sees it', async () => {
    const serverSawClose = deferred();
    const { url } = await serve((res) => {
      res.on('close', () => serverSawClose.resolve());
      res.writeHead(200, okHeaders);
      res.write(encodeFrame(0, bytes(1)));
    });
    const abort = new AbortController();
    const got: number[][] = [];
    const run = (async () => {
      for await (const m of new GrpcWebClient({ baseUrl: url }).serverStream('/p.S/M', new Uint8Array(0), { signal: abort.signal })) {
        got.push([...m]);
        abort.abort();
      }
    })();
    await expectGrpcError(run, Status.CANCELLED, /cancelled/);
    assert.deepEqual(got, [[1]]);
    await within(serverSawClose.promise, 5000, () => 'cancel phase: server response should close after the client aborted');
  });

  it('cancels the HTTP request when the consumer stops iterating', async () => {
    const serverSawClose = deferred();
    const { url } = await serve((res) => {
      res.on('close', () => serverSawClose.resolve());
      res.writeHead(200, okHeaders);
      res.write(encodeFrame(0, bytes(1)));
    });
    for await (const m of new GrpcWebClient({ baseUrl: url }).serverStream('/p.S/M', new Uint8Array(0))) {
      assert.deepEqual([...m], [1]);
      break;
    }
    await within(serverSawClose.promise, 5000, () => 'break phase: server response should close after the consumer stopped');
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const { url, server } = await serve(() => undefined);
    servers = [];
    await new Promise((r) => server.close(r));
    await expectGrpcError(new GrpcWebClient({ baseUrl: url }).unary('/p.S/M', new Uint8Array(0)), Status.UNAVAILABLE, /fetch failed/);
  });

  it('decodes grpc-message leniently', () => {
    assert.equal(decodeGrpcMessage('a%20b'), 'a b');
    assert.equal(decodeGrpcMessage('100%'), '100%');
    assert.equal(decodeGrpcMessage(null), '');
  });
});
