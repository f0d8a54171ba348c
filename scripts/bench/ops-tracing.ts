/**
 * tracingOverheadPct.0 / .10 / .100 for `quarry bench ops`: what turning tracing on costs a node, measured on real
 * `quarry node start` processes under the gateway's player load.
 *
 * Four single-node processes run side by side, each with its own data dir: tracing off, and tracing on
 * (`ops.tracingEnabled`) at `ops.tracingSampleRatio` 0, 0.1 and 1. Each exports spans over OTLP/HTTP protobuf (the
 * default protocol, SDK batch defaults) to a sink in this process that reads and discards every request, so span
 * creation, batching, serialization and the exporter's HTTP requests are all paid. All four get the same load at the
 * same time: LOAD_PLAYERS players each, walking between the city-hunt beacons (visits, journal, outbox, events:
 * gateway-load.ts's Route), IN_FLIGHT fixes in flight per node over native gRPC (raw HTTP/2 client). Side by side
 * rather than in turn because the machine's other processes come and go: whatever they take in a round, they take
 * from all four. The figure is each node's CPU time per acknowledged fix (user + system, from its `/metrics.json`, so
 * the load process is not counted) against the off node's in the same round, `(traced / off - 1) * 100`, the median
 * of ROUNDS rounds. CPU per fix rather than throughput, because the machine's other processes move throughput more
 * than tracing does. Set QUARRY_BENCH_CPU_PROFILE_DIR to CPU-profile each node (`node --cpu-prof`); the top functions
 * by self time are then printed on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import type { ProcessMetrics } from '../../ops/process-metrics.js';
import { spawnNode, type LocalNode } from '../sim/local-cluster.js';
import { topFunctions } from './cpu-profile.js';
import { closedLoop, rawHuntLoad, Route, type HuntLoad, type SimBeacon } from './gateway-load.js';
import { median } from './harness.js';

const LOAD_PLAYERS = 1_000;
/**
 * Fixes in flight per node (closed loop): enough to keep each node busy, so a fix costs what it does under the gateway
 * bench's load, and under the edge's limit of calls in flight (256). A node whose event loop the machine's other
 * processes hold up past the admission governor's lag limit still refuses some (mostly in the warm-up); the notes
 * count them, as a refused fix costs less than an acknowledged one.
 */
const IN_FLIGHT = 128;
const ROUNDS = 25;
const ROUND_MS = 4_000;
const WARMUP_MS = 8_000;
const FIX_DEADLINE_MS = 10_000;
const PROFILE_ENV = 'QUARRY_BENCH_CPU_PROFILE_DIR';

export interface TracingOverhead {
  figures: Record<string, number>;
  notes: string[];
}

interface Variant {
  name: string;
  /** undefined: tracing off. */
  ratio: number | undefined;
  node: LocalNode;
  load: HuntLoad;
  route: Route;
  /** CPU µs per fix in each round. */
  cpuUsPerFix: number[];
  /** Fixes acknowledged in each loop (the warm-up first). */
  acked: number[];
  failed: number;
  firstError?: string;
}

/** An OTLP/HTTP receiver that reads each export and answers 200 with nothing in it; counts bytes per node path. */
async function startSink(): Promise<{ url: string; bytes: Map<string, number>; close(): Promise<void> }> {
  const bytes = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      bytes.set(req.url ?? '', (bytes.get(req.url ?? '') ?? 0) + n);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bytes, close: () => new Promise((r) => server.close(() => r())) };
}

export async function measureTracingOverhead(): Promise<TracingOverhead> {
  const notes: string[] = [];
  const env = { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' };
  const config = nodeConfig(loadConfig({ env: { ...process.env, ...env } }));
  const beacons: SimBeacon[] = loadHuntFile(config.hunt.file).beacons.map((b) => ({ id: b.id, txPowerDbm: b.txPowerDbm }));
  const secret = { alg: 'HS256' as const, secret: config.gateway.tokenSecret };
  const ids = Array.from({ length: LOAD_PLAYERS }, (_, i) => `t${i}`);
  const tokens = await Promise.all(ids.map((playerId) => issuePlayerToken(secret, { playerId, ttlMinutes: 24 * 60 })));
  const profileDir = process.env[PROFILE_ENV];
  const dir = mkdtempSync(join(tmpdir(), 'quarry-bench-tracing-'));
  const sink = await startSink();
  const variants: Variant[] = [];
  try {
    for (const [name, ratio] of [['off', undefined], ['0', 0], ['10', 0.1], ['100', 1]] as const) {
      const node = await spawnNode({
        env: {
          ...env,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sink.url}/${name}/v1/traces`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        },
        nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `tracing-${name}`)}`] : [],
        settings: {
          'node.id': `tracing-${name}`,
          'node.grpcPort': 0,
          'node.httpPort': 0,
          'node.gossipPort': 0,
          'node.dataDir': join(dir, name),
          'ops.logLevel': 'warn',
          'ops.tracingEnabled': ratio !== undefined,
          ...(ratio !== undefined ? { 'ops.tracingSampleRatio': ratio } : {}),
        },
      });
      const route = new Route(beacons, LOAD_PLAYERS);
      variants.push({ name, ratio, node, route, load: rawHuntLoad(node.ready.grpcAddress, route, ids, tokens, FIX_DEADLINE_MS), cpuUsPerFix: [], acked: [], failed: 0 });
    }
    const cpuUs = async (v: Variant): Promise<number> => {
      const res = await fetch(`${v.node.ready.httpUrl}/metrics.json`, { headers: { authorization: `Bearer ${config.ops.operatorToken}` } });
      if (!res.ok) throw new Error(`GET /metrics.json of ${v.node.ready.nodeId}: HTTP ${res.status}`);
      const m = (await res.json()) as ProcessMetrics;
      return m.cpuUserUs + m.cpuSystemUs;
    };
    const loop = async (v: Variant, durationMs: number): Promise<number> => {
      const r = await closedLoop(v.route, LOAD_PLAYERS, IN_FLIGHT, durationMs, v.load.send);
      v.failed += r.failed;
      v.firstError ??= r.firstError;
      v.acked.push(r.acked);
      return r.acked;
    };
    // Warm-up (not counted): every player's activation and first visits, and the JIT of each node's paths.
    await Promise.all(variants.map((v) => loop(v, WARMUP_MS)));
    for (let r = 0; r < ROUNDS; r++) {
      const cpu0 = await Promise.all(variants.map(cpuUs));
      const acked = await Promise.all(variants.map((v) => loop(v, ROUND_MS)));
      const cpu1 = await Promise.all(variants.map(cpuUs));
      variants.forEach((v, i) => v.cpuUsPerFix.push((cpu1[i]! - cpu0[i]!) / Math.max(1, acked[i]!)));
    }
    const [off, ...traced] = variants as [Variant, ...Variant[]];
    const figures: Record<string, number> = {};
    for (const v of traced) figures[`tracingOverheadPct.${v.name}`] = Math.round(median(v.cpuUsPerFix.map((cpu, r) => cpu / off.cpuUsPerFix[r]! - 1)) * 1000) / 10;
    const describe = (v: Variant) =>
      `${v.ratio === undefined ? 'off' : `sampling ${v.name} %`} ${v.cpuUsPerFix.map((c) => c.toFixed(1)).join('/')} us, ` +
      `${Math.round(v.acked.slice(1).reduce((a, b) => a + b, 0) / ((ROUNDS * ROUND_MS) / 1000))} fixes/s` +
      (v.ratio === undefined ? '' : ` (${Math.round((sink.bytes.get(`/${v.name}/v1/traces`) ?? 0) / 1024)} KiB of spans exported)`);
    notes.push(
      `tracingOverheadPct.*: node CPU per fix against tracing off, 4 single-node \`quarry node start\` processes (off, sampling 0 / 10 / 100 %), ` +
        `OTLP/HTTP protobuf to a discarding sink; ${LOAD_PLAYERS} players and ${IN_FLIGHT} fixes in flight over native gRPC for each node, ` +
        `all at once, ${ROUNDS} rounds of ${ROUND_MS / 1000} s, median of the rounds' ratios; CPU per fix in each round: ${variants.map(describe).join('; ')}`,
    );
    const failed = variants.filter((v) => v.failed > 0);
    if (failed.length > 0) notes.push(`tracingOverheadPct.*: fixes failed (warm-up included): ${failed.map((v) => `${v.name} ${v.failed} (first: ${v.firstError})`).join(', ')}`);
    return { figures, notes };
  } finally {
    for (const v of variants) v.load.close();
    await Promise.all(variants.map((v) => stopNode(v.node)));
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
    if (profileDir) {
      for (const v of variants) notes.push(`CPU profile of tracing-${v.name} (self time): ${JSON.stringify(topFunctions(join(profileDir, `tracing-${v.name}`), 25))}`);
    }
  }
}

/** SIGTERM, and SIGKILL if the node has not stopped within 15 s (a benchmark must not leave a process behind). */
async function stopNode(node: LocalNode): Promise<void> {
  const timer = setTimeout(() => void node.kill(), 15_000);
  try {
    await node.stop();
  } finally {
    clearTimeout(timer);
  }
}
