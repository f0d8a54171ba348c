/**
 * Micro-benchmark of the node link layer (the base of `quarry bench cluster`): remote asks over one grpc-js
 * link to a child node process, against an in-process async call of the same handler, in the same run.
 * Closed loop: `CONCURRENCY` callers each keep one ask outstanding. Latency is recorded per ask in µs.
 *
 * Figures: remoteAskPerSec, remoteAskP50Ms, remoteAskP99Ms, remoteAskP99Ms.c1 (one caller: the unbatched
 * round trip), localAskPerSec, localAskP99Ms, remoteBatchSize (envelopes per written batch).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as hdr from 'hdr-histogram-js';
import { GrpcTransport } from '../../cluster/transport/grpc.js';
import type { Envelope, EnvelopeHandler, Reply } from '../../cluster/transport/transport.js';
import type { BenchOptions, BenchResult } from './harness.js';

const CHILD_FLAG = '--cluster-support-child';
const KEY = 'bench-cluster-key-0123456789';
const CONCURRENCY = 64;
const PAYLOAD_BYTES = 64;
const ASK_TIMEOUT_MS = 10_000;

/** The far side's handler, also the local baseline: echo the payload, as a trivial actor would. */
const echo: EnvelopeHandler = async (env) => ({ correlationId: 0, payload: env.payload, errorCode: '', errorMessage: '' });

function makeEnvelope(payload: Buffer): Envelope {
  return { target: { kind: 'bench', key: 'k' }, sender: 'near', correlationId: 0, trace: {}, payload, hops: 0, deadlineMs: 0 };
}

interface LoopResult {
  perSec: number;
  histogram: hdr.Histogram;
}

async function closedLoop(callers: number, durationMs: number, call: () => Promise<Reply>): Promise<LoopResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let done = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const reply = await call();
        if (reply.errorCode) throw new Error(`bench ask failed: ${reply.errorCode} ${reply.errorMessage}`);
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
        done++;
      }
    }),
  );
  return { perSec: done / ((performance.now() - start) / 1000), histogram };
}

const ms = (h: hdr.Histogram, p: number) => Math.round(h.getValueAtPercentile(p) / 10) / 100;

async function startChild(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD_FLAG], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench child exited early with code ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { address: string }).address));
  });
  return { child, address };
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const durationMs = (options.durationS ?? 5) * 1000;
  const payload = Buffer.alloc(PAYLOAD_BYTES, 7);
  const notes: string[] = [];

  const local = await closedLoop(CONCURRENCY, durationMs, () => echo(makeEnvelope(payload), 'self') as Promise<Reply>);

  const { child, address } = await startChild();
  const near = new GrpcTransport({ nodeId: 'near', clusterKey: KEY });
  try {
    await near.connect('far', address);
    const ask = () => near.ask('far', makeEnvelope(payload), Date.now() + ASK_TIMEOUT_MS);
    await closedLoop(CONCURRENCY, Math.min(1_000, durationMs), ask); // warm-up: JIT, HTTP/2 windows
    const before = near.metrics().links[0]!;
    const remote = await closedLoop(CONCURRENCY, durationMs, ask);
    const after = near.metrics().links[0]!;
    const single = await closedLoop(1, Math.min(2_000, durationMs), ask);
    const figures = {
      remoteAskPerSec: Math.round(remote.perSec),
      remoteAskP50Ms: ms(remote.histogram, 50),
      remoteAskP99Ms: ms(remote.histogram, 99),
      'remoteAskP99Ms.c1': ms(single.histogram, 99),
      localAskPerSec: Math.round(local.perSec),
      localAskP99Ms: ms(local.histogram, 99),
      remoteBatchSize: Math.round(((after.envelopesSent - before.envelopesSent) / Math.max(1, after.batchesSent - before.batchesSent)) * 10) / 10,
    };
    if (figures.remoteAskPerSec < 30_000) notes.push(`remoteAskPerSec ${figures.remoteAskPerSec} is below the 30k/s target`);
    if (figures.remoteAskP99Ms > 5) notes.push(`remoteAskP99Ms ${figures.remoteAskP99Ms} is above the 5 ms target`);
    notes.push(`${CONCURRENCY} callers, ${PAYLOAD_BYTES}-byte payload, ${durationMs / 1000} s per phase, one link to a child process`);
    return { figures, notes };
  } finally {
    await near.close();
    child.stdin!.end();
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
}

/** The far node: a grpc-js server hosting a transport that echoes; exits when the parent closes stdin. */
async function childMain(): Promise<void> {
  const server = new grpc.Server();
  const far = new GrpcTransport({ nodeId: 'far', clusterKey: KEY });
  far.onEnvelope(echo);
  far.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  process.stdout.write(JSON.stringify({ address: `127.0.0.1:${port}` }) + '\n');
  process.stdin.resume();
  process.stdin.once('end', () => {
    void far.close().then(() => {
      server.forceShutdown();
      process.exit(0);
    });
  });
}

if (process.argv[2] === CHILD_FLAG && import.meta.url === pathToFileURL(process.argv[1]!).href) await childMain();
