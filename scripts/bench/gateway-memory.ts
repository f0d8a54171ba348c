// Step 6 of the `gateway` suite (gateway.ts): the node's memory per open Subscribe stream, 20k streams of fresh players
// over 20 HTTP/2 connections, read before and after opening them (after a full GC in the node when its inspector opened).
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import type { ProcessMetrics } from '../../ops/process-metrics.js';
import type { Event } from '../../proto/gen/hunt.js';
import type { LocalNode } from '../sim/local-cluster.js';
import { bearer, grpcClients, sleep, STREAM_OPEN_ATTEMPTS, STREAM_RETRY_MS } from './gateway-load.js';
import { collectGarbageIn } from './gateway-support.js';

const OPEN_STREAMS = 20_000;
const STREAMS_PER_CHANNEL = 1_000;
/** Streams being opened at once while building up the 20k. */
const OPENING_IN_FLIGHT = 200;
/** Idle time before memory readings (the node's background work settles). */
const SETTLE_MS = 4_000;

/** heapBytesPerOpenStream and rssBytesPerOpenStream, with notes on how they were read. */
export async function streamMemoryPhase(
  node: LocalNode,
  inspectorOpened: Promise<string>,
  address: string,
  metrics: () => Promise<ProcessMetrics>,
  token: (id: string) => Promise<string>,
): Promise<{ figures: Record<string, number>; notes: string[] }> {
  const inspectorUrl = await openInspector(node, inspectorOpened);
  const gc = inspectorUrl === undefined ? undefined : () => collectGarbageIn(inspectorUrl);
  const mem = await streamMemory(address, metrics, token, gc);
  const figures = { heapBytesPerOpenStream: mem.heapBytesPerStream, rssBytesPerOpenStream: mem.rssBytesPerStream };
  const notes = [
    `${OPEN_STREAMS} streams open in ${mem.openS.toFixed(1)} s; heapUsed ${mb(mem.heap0)} -> ${mb(mem.heap1)} MB, rss ${mb(mem.rss0)} -> ${mb(mem.rss1)} MB`,
    gc
      ? `heap after a full GC in the node (HeapProfiler.collectGarbage over its inspector), before and after opening`
      : `heap without gc: the node's inspector did not open, so heapUsed is the lowest of 3 samples after ${SETTLE_MS} ms idle (includes garbage not yet collected)`,
  ];
  return { figures, notes };
}

async function streamMemory(address: string, metrics: () => Promise<ProcessMetrics>, token: (id: string) => Promise<string>, gc?: () => Promise<void>) {
  const ids = Array.from({ length: OPEN_STREAMS }, (_, i) => `s${i}`);
  const md = (await Promise.all(ids.map(token))).map(bearer);
  const clients = grpcClients(address, Math.ceil(OPEN_STREAMS / STREAMS_PER_CHANNEL));
  const streams: ClientReadableStream<Event>[] = [];
  try {
    // Connect every channel before the baseline, so the per-connection cost is not counted per stream.
    await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())))));
    const before = await settled(metrics, gc);
    const t0 = performance.now();
    let next = 0;
    const opener = async () => {
      while (next < OPEN_STREAMS) {
        const i = next++;
        // A set-up refused past the node's admission cap (RESOURCE_EXHAUSTED) is tried again after a pause, as a phone does.
        for (let attempt = 1; ; attempt++) {
          const opened = await new Promise<boolean>((resolve, reject) => {
            const s = clients[Math.floor(i / STREAMS_PER_CHANNEL)]!.subscribe({ playerId: ids[i]!, afterSeq: 0, cursors: [] }, md[i]!);
            s.on('data', () => {});
            s.once('metadata', () => (streams.push(s), resolve(true)));
            s.on('error', (err: Error & { code?: number }) => {
              if (err.code === 1) return;
              if (err.code === status.RESOURCE_EXHAUSTED && attempt < STREAM_OPEN_ATTEMPTS) return resolve(false);
              reject(new Error(`stream ${ids[i]}: ${err.message}`));
            });
          });
          if (opened) break;
          await new Promise((r) => setTimeout(r, STREAM_RETRY_MS * (1 + Math.random())));
        }
      }
    };
    await Promise.all(Array.from({ length: OPENING_IN_FLIGHT }, opener));
    const openS = (performance.now() - t0) / 1000;
    const after = await settled(metrics, gc);
    return {
      openS,
      heap0: before.heap,
      heap1: after.heap,
      rss0: before.rss,
      rss1: after.rss,
      heapBytesPerStream: Math.round((after.heap - before.heap) / OPEN_STREAMS),
      rssBytesPerStream: Math.round((after.rss - before.rss) / OPEN_STREAMS),
    };
  } finally {
    for (const s of streams) s.cancel();
    for (const c of clients) c.close();
  }
}

/** The node's memory after an idle period (and a full GC when possible): the lowest of three samples a second apart. */
async function settled(metrics: () => Promise<ProcessMetrics>, gc?: () => Promise<void>): Promise<{ heap: number; rss: number }> {
  await sleep(SETTLE_MS);
  const samples: ProcessMetrics[] = [];
  for (let i = 0; i < 3; i++) {
    await gc?.();
    samples.push(await metrics());
    if (i < 2) await sleep(1_000);
  }
  return { heap: Math.min(...samples.map((m) => m.heapUsedBytes)), rss: Math.min(...samples.map((m) => m.rssBytes)) };
}

/** Starts the node's inspector (SIGUSR1) and resolves to its WebSocket URL, or undefined after 10 s. */
async function openInspector(node: LocalNode, opened: Promise<string>): Promise<string | undefined> {
  node.process.kill('SIGUSR1');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 10_000)));
  try {
    return await Promise.race([opened, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
