import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { buildRing, ownerOf } from '../../cluster/placement/ring.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { HuntClient, type FixAck } from '../../proto/gen/hunt.js';
import { spawnNode, type LocalNode } from '../../scripts/sim/local-cluster.js';
import { waitFor } from '../../testing/wait.js';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  node: string;
}

/** A minimal OTLP/HTTP JSON receiver: what Jaeger's OTLP port does, enough to see which spans arrived. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const doc = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'node'>> }> }> };
      for (const rs of doc.resourceSpans ?? []) {
        const node = rs.resource.attributes.find((a) => a.key === 'service.instance.id')?.value.stringValue ?? '?';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, node });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((r) => server.close(() => r())) };
}

describe('tracing across 3 real nodes (OTLP to a receiver started by the test)', function () {
  this.timeout(120_000);
  let dir: string;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const nodes: LocalNode[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-tracing-'));
    receiver = await startOtlpReceiver();
    const env = {
      QUARRY_OPS_ALLOW_DEV_SECRETS: 'true',
      QUARRY_OPS_TRACING_ENABLED: 'true',
      QUARRY_OPS_TRACING_SAMPLE_RATIO: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    for (const id of ['t1', 't2', 't3']) {
      nodes.push(
        await spawnNode({
          env,
          settings: {
            'node.id': id,
            'node.grpcPort': 0,
            'node.httpPort': 0,
            'node.gossipPort': 0,
            'node.dataDir': join(dir, id),
            'cluster.membershipPreset': 'local',
            'ops.logLevel': 'warn',
            ...(nodes.length > 0 ? { 'node.seeds': nodes[0]!.ready.gossipAddress } : {}),
          },
        }),
      );
    }
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one fix entering at one node yields one trace whose spans come from the nodes owning player and beacon', async () => {
    const ring = buildRing(['t1', 't2', 't3']);
    const hunt = JSON.parse(readFileSync('actors/hunt/samples/city-hunt.json', 'utf8')) as { beacons: Array<{ id: string }> };
    // Pick a player and a beacon owned by two different nodes, neither of them the entry node t1.
    const playerId = Array.from({ length: 200 }, (_, i) => `tracer${i}`).find((p) => ownerOf(ring, 'player', p) !== 't1')!;
    const playerOwner = ownerOf(ring, 'player', playerId);
    const beacon = hunt.beacons.find((b) => ![playerOwner].includes(ownerOf(ring, 'beacon', b.id)))!;
    const beaconOwner = ownerOf(ring, 'beacon', beacon.id);

    const config = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId, ttlMinutes: 5 });
    const client = new HuntClient(nodes[0]!.ready.grpcAddress, credentials.createInsecure());
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    // Membership and ring settle after start; the first fixes may meet a handoff in progress and be retried.
    let ack: FixAck | undefined;
    for (let seq = 1; seq <= 40 && !ack?.closestBeaconId; seq++) {
      ack = await new Promise<FixAck | undefined>((resolve) =>
        client.reportFix({ playerId, clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: beacon.id, rssiDbm: -55 }], gps: undefined }, md, (err, r) => resolve(err ? undefined : r)),
      );
      if (!ack?.closestBeaconId) await new Promise((r) => setTimeout(r, 250));
    }
    client.close();
    assert.equal(ack?.closestBeaconId, beacon.id, 'the player reached the beacon');

    const fixSpans = () => receiver.spans.filter((s) => s.name === 'Hunt/ReportFix');
    // The root is the last ReportFix (the one that visited the beacon); find its trace.
    const traceId = await waitFor(() => {
      for (const root of fixSpans()) {
        const inTrace = receiver.spans.filter((s) => s.traceId === root.traceId);
        // Spans arrive in export batches from three processes: wait until the whole tree is in.
        const names = new Set(inTrace.map((s) => s.name));
        if (names.has('actor beacon') && names.has('lmdb commit') && names.has('route replicate')) return root.traceId;
      }
      return undefined;
    }, {
      phase: 'spans of the visiting fix',
      expected: "one ReportFix trace holding 'actor beacon', 'lmdb commit' and 'route replicate'",
      seen: () => `${receiver.spans.length} spans: ${[...new Set(receiver.spans.map((s) => `${s.name}@${s.node}`))].join(', ')}`,
      timeoutMs: 20_000,
    });

    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ReceivedSpan): string[] => {
      const out: string[] = [];
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p.name);
      return out;
    };
    const root = spans.find((s) => s.name === 'Hunt/ReportFix')!;
    assert.equal(root.node, 't1', 'the edge span is on the entry node');
    const player = spans.find((s) => s.name === 'actor player')!;
    const beaconSpan = spans.find((s) => s.name === 'actor beacon')!;
    assert.equal(player.node, playerOwner, 'player span on the player\'s owner');
    assert.equal(beaconSpan.node, beaconOwner, 'beacon span on the beacon\'s owner');
    assert.ok(ancestors(player).includes('Hunt/ReportFix'), `player span descends from the edge span: ${ancestors(player).join(' < ')}`);
    assert.ok(ancestors(beaconSpan).includes('actor player'), `beacon span descends from the player span: ${ancestors(beaconSpan).join(' < ')}`);
    assert.ok(new Set(spans.map((s) => s.node)).size >= 2, 'the trace crosses nodes');
    const commit = spans.find((s) => s.name === 'lmdb commit' && s.node === playerOwner);
    assert.ok(commit, `the player's journal commit is in the trace: ${spans.map((s) => `${s.name}@${s.node}`).join(', ')}`);
    // Replication (replicationFactor 2 by default) copies that commit to the next member on the ring.
    assert.ok(spans.some((s) => s.name === 'route replicate' && ancestors(s).includes('lmdb commit')), `replication hop under a commit span: ${spans.map((s) => `${s.name}@${s.node}<${byId.get(s.parentSpanId)?.name ?? '-'}`).join(', ')}`);
  });
});
