/**
 * Building blocks for `quarry bench gateway`: the server's CPU time per call, measured with
 * process.cpuUsage() inside a separate server process (so the load generator's CPU is not counted),
 * for a bare grpc-js unary echo and for the same echo through the gateway (native gRPC and gRPC-web),
 * a bare grpc-js Hunt service (the latency floor of a fix and its event on this machine), and a raw gRPC-web
 * load client fast enough that the server, not the load process, sets the rate.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Metadata, Server, ServerCredentials, credentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { FLAG_TRAILERS, FRAME_HEADER_BYTES, encodeFrame } from '../../gateway/grpc-frame.js';
import { startGatewayServer } from '../../gateway/server.js';
import { GrpcCallError } from './raw-grpc.js';
import { HuntService, type Event, type Fix, type FixAck, type SubscribeRequest } from '../../proto/gen/hunt.js';
import { FIXES_PER_BEACON } from './gateway-load.js';

const identity = (b: Buffer): Buffer => b;

/** A unary echo with no protobuf at all: what is measured is transport and dispatch. */
export const ECHO_SERVICE: ServiceDefinition = {
  echo: { path: '/quarry.bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
export const echoImplementation: UntypedServiceImplementation = {
  echo: (call: { request: Buffer }, cb: (err: null, value: Buffer) => void) => cb(null, call.request),
};

/**
 * The Hunt service with nothing behind it: a fix is answered at once, and the first fix at each beacon of the load's
 * route (one in FIXES_PER_BEACON) gets an award in its answer and the same award as an event on the player's open
 * Subscribe stream. No token, actors, store or notifier: the same load measured against it gives the fix-to-event
 * floor of this machine (client, loopback, both event loops and the scheduler) at the same rate.
 */
export function bareHuntImplementation(): UntypedServiceImplementation {
  const streams = new Map<string, ServerWritableStream<SubscribeRequest, Event>>();
  let seq = 0;
  return {
    subscribe(call: ServerWritableStream<SubscribeRequest, Event>) {
      const playerId = call.request.playerId;
      streams.set(playerId, call);
      call.on('cancelled', () => streams.delete(playerId));
      call.sendMetadata(new Metadata());
    },
    reportFix(call: ServerUnaryCall<Fix, FixAck>, callback: sendUnaryData<FixAck>) {
      const fix = call.request;
      const beaconId = fix.readings[0]?.beaconId ?? '';
      const awards = fix.clientSeq % FIXES_PER_BEACON === 0 ? [{ beaconId, points: 10, reason: 'visit' }] : [];
      callback(null, { accepted: true, closestBeaconId: beaconId, score: 0, awards, achievements: [], claimedTreasures: [] });
      const stream = streams.get(fix.playerId);
      if (awards.length > 0 && stream) stream.write({ seq: ++seq, atMs: Date.now(), body: { $case: 'award', value: awards[0]! }, channel: `user.${fix.playerId}`, prevSeq: 0 });
    },
  };
}

export type EchoServerMode = 'bare' | 'bareHunt' | 'gateway';

export interface EchoServerProcess {
  grpcPort: number;
  /** The gRPC-web port (gateway mode only). */
  httpPort?: number;
  /** CPU time (user + system) the server process has used so far, in µs. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

const CHILD_FLAG = '--quarry-bench-echo-server';

/** Starts the echo server in a child process and waits until it listens. */
export async function startEchoServerProcess(mode: EchoServerMode): Promise<EchoServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ grpcPort: number; httpPort?: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { grpcPort: number; httpPort?: number }));
    child.once('exit', (code) => reject(new Error(`echo server (${mode}) exited with ${code} before listening`)));
  });
  const ask = <T>(msg: string): Promise<T> =>
    new Promise((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(msg);
    });
  return {
    ...ports,
    cpuUs: async () => (await ask<{ cpuUs: number }>('cpu')).cpuUs,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

async function runChild(mode: EchoServerMode): Promise<void> {
  let ports: { grpcPort: number; httpPort?: number };
  let stop: () => Promise<void>;
  if (mode === 'bare' || mode === 'bareHunt') {
    const server = new Server();
    if (mode === 'bare') server.addService(ECHO_SERVICE, echoImplementation);
    else server.addService(HuntService, bareHuntImplementation());
    const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    ports = { grpcPort };
    stop = () => new Promise((r) => server.tryShutdown(() => r()));
  } else {
    const gw = await startGatewayServer({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, services: [{ definition: ECHO_SERVICE, implementation: echoImplementation }], maxMessageBytes: 64 * 1024, corsOrigins: [] });
    ports = { grpcPort: gw.grpcPort, httpPort: gw.httpPort };
    stop = () => gw.close();
  }
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpuUs: u.user + u.system });
    } else if (m === 'stop') void stop().then(() => process.exit(0));
  });
  process.send!(ports);
}

/** Runs `calls` unary echoes over native gRPC with `concurrency` in flight. */
export async function loadGrpc(port: number, calls: number, concurrency: number, payload: Buffer): Promise<void> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => client.makeUnaryRequest('/quarry.bench.Echo/Echo', identity, identity, payload, (err) => (err ? reject(err) : resolve())));
  try {
    await inParallel(calls, concurrency, one);
  } finally {
    client.close();
  }
}

/** Runs `calls` unary echoes over gRPC-web with `concurrency` in flight. */
export async function loadGrpcWeb(client: RawGrpcWebClient, calls: number, concurrency: number, payload: Buffer): Promise<void> {
  await inParallel(calls, concurrency, async () => void (await client.unary(ECHO_SERVICE['echo']!.path, payload)));
}

/**
 * Unary gRPC-web calls as raw binary frames over undici keep-alive connections: a much cheaper client than
 * `fetch` + nice-grpc-web, so one load process can push the server as hard as the native gRPC loop does.
 * Conformance with real client libraries is proven by the gateway's tests, not here. `pipelining` 1 is what a
 * browser does (one request at a time per connection); more lets the server read several requests per syscall.
 */
export class RawGrpcWebClient {
  private readonly pool: Pool;
  constructor(origin: string, readonly connections: number, readonly pipelining = 1) {
    this.pool = new Pool(origin, { connections, pipelining, keepAliveTimeout: 60_000 });
  }

  /** Sends one message, resolves to the one response message; rejects with GrpcCallError unless grpc-status is 0. */
  unary(path: string, message: Uint8Array, metadata: Record<string, string> = {}): Promise<Buffer> {
    const headers = { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...metadata };
    const pipelined = this.pipelining > 1;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let httpStatus = 0;
      this.pool.dispatch(
        { path, method: 'POST', headers, body: encodeFrame(0, message), idempotent: pipelined, blocking: !pipelined },
        {
          // undici treats a handler as the new-style API only when it has onRequestStart.
          onRequestStart: () => undefined,
          onResponseStart: (_c, statusCode) => void (httpStatus = statusCode),
          onResponseData: (_c, chunk) => void chunks.push(chunk),
          onResponseEnd: () => {
            try {
              resolve(parseUnaryResponse(httpStatus, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
            } catch (e) {
              reject(e as Error);
            }
          },
          onResponseError: (_c, err) => reject(err),
        },
      );
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The message and trailers of a binary gRPC-web unary response body; throws unless grpc-status is 0. */
export function parseUnaryResponse(httpStatus: number, body: Buffer): Buffer {
  if (httpStatus !== 200) throw new GrpcCallError(2, `HTTP ${httpStatus}`);
  let message: Buffer | undefined;
  let trailers = '';
  for (let at = 0; at + FRAME_HEADER_BYTES <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
    if (body[at]! & FLAG_TRAILERS) trailers += payload.toString('latin1');
    else message = payload;
    at += FRAME_HEADER_BYTES + length;
  }
  const code = Number(/^grpc-status:\s*(\d+)/im.exec(trailers)?.[1] ?? NaN);
  if (code !== 0 || !message) {
    const details = /^grpc-message:\s*(.*?)\r?$/im.exec(trailers)?.[1] ?? '';
    throw new GrpcCallError(Number.isNaN(code) ? 2 : code, `grpc-status ${Number.isNaN(code) ? 'missing' : code}${message || code !== 0 ? '' : ' without a message'}: ${decodeURIComponent(details)}`);
  }
  return message;
}

async function inParallel(total: number, concurrency: number, one: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

/** The machine's CPU time counters (`/proc/stat`, all CPUs, in clock ticks); undefined where there is none. */
export function machineCpuTicks(): number[] | undefined {
  try {
    return readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/**
 * Share of the machine's CPU time between two `machineCpuTicks` readings that the hypervisor gave to others while
 * this VM's CPUs wanted to run (steal, the eighth counter), in percent.
 */
export function stealPct(before: number[] | undefined, after: number[] | undefined): number | undefined {
  if (!before || !after || before.length < 8) return undefined;
  const d = after.map((v, i) => v - (before[i] ?? 0));
  const total = d.reduce((a, b) => a + b, 0);
  return total > 0 ? (100 * d[7]!) / total : undefined;
}

if (process.argv[2] === CHILD_FLAG) void runChild(process.argv[3] as EchoServerMode);

/** Extracts the inspector's WebSocket URL from a node's stderr (`Debugger listening on ws://...`). */
export function inspectorUrlFrom(line: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
}

// Runs in a short-lived child: Node 20 has a WebSocket client only behind --experimental-websocket.
const COLLECT_GARBAGE_SCRIPT = `const ws = new WebSocket(process.argv[1]);
ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
ws.onmessage = (m) => { if (JSON.parse(m.data).id === 1) { ws.close(); process.exit(0); } };
ws.onerror = () => process.exit(1);
setTimeout(() => process.exit(2), 20000);`;

/**
 * Full GC in another node process through its inspector (the node has no `gc` of its own to call): a heap
 * reading after it counts live objects only, not garbage awaiting collection.
 */
export function collectGarbageIn(inspectorUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['--experimental-websocket', '--no-warnings', '-e', COLLECT_GARBAGE_SCRIPT, inspectorUrl];
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`HeapProfiler.collectGarbage via ${inspectorUrl.replace(/\/[^/]*$/, '/…')}: helper exited with ${code}`))));
  });
}
