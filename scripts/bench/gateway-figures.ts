// The `gateway` suite's (gateway.ts) figures derived from raw readings, how its notes describe them, and the targets
// they are held to.
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { percentileMs, type StoreCommitMetrics } from '../../ops/process-metrics.js';
import type { LatencyResult } from './gateway-load.js';

const TARGET_CPU_RATIO = 2;
const TARGET_HEAP_BYTES_PER_STREAM = 4_096;
/** fixToEventP99Ms at most this many times the bare grpc-js floor measured in the same run (bareFixToEventP99Ms). */
const TARGET_FIX_TO_EVENT_FLOOR_RATIO = 1.5;
/** serverCpuUsPerVisit.grpc, in µs. */
const TARGET_CPU_US_PER_VISIT = 120;

/** The node's store commits between two `/metrics.json` readings: how many, and (if any) their p50 and p99 latency in ms. */
export function commitsBetween(before: StoreCommitMetrics, after: StoreCommitMetrics): { commits: number; p50Ms?: number; p99Ms?: number } {
  const h = decodeFromCompressedBase64(after.storeCommitLatencyUs);
  h.subtract(decodeFromCompressedBase64(before.storeCommitLatencyUs));
  if (h.totalCount === 0) return { commits: 0 };
  return { commits: h.totalCount, p50Ms: percentileMs(h, 50), p99Ms: percentileMs(h, 99) };
}

export function stealNote(steal: number | undefined): string {
  return steal === undefined ? '' : `; steal ${round1(steal)}%`;
}

export function describeLatency(l: LatencyResult): string {
  return `${l.sent} fixes sent (${l.failed} failed), ${l.samples} award events timed, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms; ack p50 ${l.ackP50Ms} ms, p99 ${l.ackP99Ms} ms`;
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** Notes on the CPU, heap and latency figures against their targets, and the gRPC-web costs against the bare echoes. */
export function targetNotes(figures: Record<string, number>): string[] {
  const notes: string[] = [];
  const ratioGrpc = figures['serverCpuUsPerFix.grpc']! / figures['bareGrpcCpuUsPerCall']!;
  const ratioWeb = figures['serverCpuUsPerFix.grpcWeb']! / figures['bareGrpcCpuUsPerCall']!;
  if (ratioGrpc > TARGET_CPU_RATIO) notes.push(`target missed: serverCpuUsPerFix.grpc ${figures['serverCpuUsPerFix.grpc']} us = ${ratioGrpc.toFixed(1)}x bare echo (target <= ${TARGET_CPU_RATIO}x)`);
  notes.push(`gRPC-web fix ${figures['serverCpuUsPerFix.grpcWeb']} us = ${(figures['serverCpuUsPerFix.grpcWeb']! / figures['bareGrpcWebCpuUsPerCall']!).toFixed(1)}x the bare gRPC-web echo (${figures['bareGrpcWebCpuUsPerCall']} us = ${(figures['bareGrpcWebCpuUsPerCall']! / figures['bareGrpcCpuUsPerCall']!).toFixed(1)}x the bare grpc echo)`);
  if (ratioWeb > TARGET_CPU_RATIO) notes.push(`target missed: serverCpuUsPerFix.grpcWeb ${figures['serverCpuUsPerFix.grpcWeb']} us = ${ratioWeb.toFixed(1)}x bare echo (target <= ${TARGET_CPU_RATIO}x)`);
  if (figures['heapBytesPerOpenStream']! > TARGET_HEAP_BYTES_PER_STREAM) notes.push(`target missed: heapBytesPerOpenStream ${figures['heapBytesPerOpenStream']} (target <= ${TARGET_HEAP_BYTES_PER_STREAM})`);
  const visit = figures['serverCpuUsPerVisit.grpc'];
  if (visit !== undefined && visit > TARGET_CPU_US_PER_VISIT) notes.push(`target missed: serverCpuUsPerVisit.grpc ${visit} us (target <= ${TARGET_CPU_US_PER_VISIT})`);
  const p99 = figures['fixToEventP99Ms'];
  const floor = figures['bareFixToEventP99Ms'];
  if (p99 !== undefined && floor !== undefined && p99 > TARGET_FIX_TO_EVENT_FLOOR_RATIO * floor) {
    notes.push(`target missed: fixToEventP99Ms ${p99} = ${(p99 / floor).toFixed(2)}x the bare grpc-js floor of the same phase, ${floor} ms (target <= ${TARGET_FIX_TO_EVENT_FLOOR_RATIO}x)`);
  }
  return notes;
}
