import assert from 'node:assert/strict';
import { credentials, Metadata } from '@grpc/grpc-js';
import { memoryLogger } from '../../actors/runtime/logger.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { DEFAULT_EXPORT_FAILURE_LOG_INTERVAL_MS, ExportFailureLog } from '../../ops/telemetry/export-failures.js';
import { traceEndpoint } from '../../ops/telemetry/tracing.js';
import { HuntClient } from '../../proto/gen/hunt.js';
import { freePort } from '../../testing/nats.js';
import { nodeSandbox } from '../scripts/support/quarry-process.js';

describe('tracing with the collector down (issue 19, item 7)', function () {
  this.timeout(60_000);

  it('export failures are logged at most once a minute, naming the endpoint and counting the ones left out', () => {
    const logger = memoryLogger();
    const log = new ExportFailureLog('http://collector:4318/v1/traces', logger);
    for (let s = 0; s < 60; s++) log.failed(new Error('connect ECONNREFUSED'), s * 1000);
    log.failed(new Error('connect ECONNREFUSED'), DEFAULT_EXPORT_FAILURE_LOG_INTERVAL_MS);
    assert.deepEqual(
      logger.entries.map((e) => [e.level, (e.obj as { endpoint: string }).endpoint, (e.obj as { failures: number }).failures]),
      [['warn', 'http://collector:4318/v1/traces', 1], ['warn', 'http://collector:4318/v1/traces', 60]],
    );
  });

  it('the endpoint is named as the OTLP exporter reads it from the standard variables', () => {
    assert.equal(traceEndpoint({}), 'http://localhost:4318/v1/traces');
    assert.equal(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }), 'http://c:4318/v1/traces');
    assert.equal(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'http://c:4317');
    assert.equal(traceEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), 'http://t/x');
  });

  describe('a real node', () => {
    const box = nodeSandbox('quarry-otel-down-', 'all');

    it('serves, logs the failing export once naming the endpoint, and on SIGTERM leaves cleanly with exit 0', async () => {
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}`;
      const node = box.start('otel', { 'node.dataDir': box.dir, 'ops.tracingEnabled': 'true', 'ops.tracingSampleRatio': 1 }, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' });
      const r = await node.ready();
      const config = nodeConfig(loadConfig({ env: { QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
      const md = new Metadata();
      md.set('authorization', `Bearer ${await issuePlayerToken({ alg: 'HS256', secret: config.gateway.tokenSecret }, { playerId: 'otto', ttlMinutes: 5 })}`);
      const client = new HuntClient(r.grpcAddress, credentials.createInsecure());
      try {
        for (let seq = 1; seq <= 20; seq++) {
          await new Promise<void>((resolve, reject) =>
            client.reportFix({ playerId: 'otto', clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: 'k000', rssiDbm: -50 }], gps: undefined }, md, (err) => (err ? reject(err) : resolve())),
          );
          await new Promise((res) => setTimeout(res, 100));
        }
      } finally {
        client.close();
      }
      const failed = await node.waitLine('export failure logged', (l) => l.event === 'trace-export-failed', 20_000);
      assert.equal(failed.endpoint, `${endpoint}/v1/traces`);
      node.kill('SIGTERM');
      assert.equal(await node.exited(15_000), 0, `exit code; last lines ${JSON.stringify(node.lines.slice(-3))}`);
      assert.equal(node.lines.filter((l) => l.event === 'trace-export-failed' && !l.atShutdown).length, 1, 'one line for the whole run');
      assert.ok(!node.lines.some((l) => l.event === 'leave-failed'), 'no leave failure');
    });
  });
});
