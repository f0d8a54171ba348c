/**
 * With tracing on, a node's log lines written inside a span carry `trace_id` and `span_id` (issue 19, item 5): a real
 * `quarry node start` process, a fix sent with the client's own `traceparent` (which the edge joins), and the node's
 * line about refusing it must name that trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { HuntClient } from '../../proto/gen/hunt.js';
import { spawnNode, type LocalNode } from '../../scripts/sim/local-cluster.js';

describe('log lines carry trace_id and span_id with tracing on (real node process)', function () {
  this.timeout(60_000);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const lines: Array<Record<string, unknown>> = [];
  let dir: string;
  let collector: Server;
  let node: LocalNode;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-log-trace-'));
    // Accepts every OTLP export, so the exporter has somewhere to send and nothing else is logged about it.
    collector = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const otlp = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    node = await spawnNode({
      env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true', QUARRY_OPS_TRACING_ENABLED: 'true', QUARRY_OPS_TRACING_SAMPLE_RATIO: '1', OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      settings: { 'node.id': 'trace1', 'node.grpcPort': 0, 'node.httpPort': 0, 'node.gossipPort': 0, 'node.dataDir': join(dir, 'trace1'), 'cluster.membershipPreset': 'local', 'ops.logLevel': 'debug' },
      onLog: (text) => {
        for (const line of text.split('\n')) {
          try {
            lines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not a log line
          }
        }
      },
    });
  });
  after(async () => {
    await node?.stop();
    await new Promise<void>((r) => collector.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("the edge's line about a refused fix names the client's trace and a span of it; lines outside a span have none", async () => {
    const config = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
    const token = await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'tracy', ttlMinutes: 5 });
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    md.set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`);
    const client = new HuntClient(node.ready.grpcAddress, credentials.createInsecure());
    const err = await new Promise<Error | null>((resolve) =>
      client.reportFix({ playerId: 'tracy', clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: 'no-such-beacon', rssiDbm: -50 }], gps: undefined }, md, (e) => resolve(e)),
    );
    client.close();
    assert.match(String(err), /INVALID_ARGUMENT/);
    const deadline = Date.now() + 10_000;
    let refused: Record<string, unknown> | undefined;
    while (!(refused = lines.find((l) => l.msg === 'hunt call rejected')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(refused, `no "hunt call rejected" line; got: ${lines.map((l) => l.msg).join(' | ')}`);
    assert.equal(refused.trace_id, traceId);
    assert.match(String(refused.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(refused.span_id, '00f067aa0ba902b7', "the node's own span, not the client's");
    const listening = lines.find((l) => l.event === 'listening');
    assert.ok(listening && !('trace_id' in listening), 'a line outside any span has no trace_id');
  });
});
