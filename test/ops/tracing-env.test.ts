import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';

/**
 * The standard OTEL_* variables reach the trace SDK and the real OTLP exporters: each case runs `startTracing` in a
 * fresh process (it registers process-global providers) with only those variables set, ends three spans, shuts
 * down, and the receiver started here says what arrived.
 */

const TRACING = new URL('../../ops/telemetry/tracing.js', import.meta.url).href;
const QUARRY = fileURLToPath(new URL('../../scripts/quarry.js', import.meta.url));

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function startHttpReceiver(): Promise<{ url: string; requests: Received[]; close(): Promise<void> }> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end(req.headers['content-type'] === 'application/json' ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** OTLP/gRPC's one method, with the request kept as bytes (an empty response is a valid ExportTraceServiceResponse). */
async function startGrpcReceiver(): Promise<{ url: string; requests: Buffer[]; close(): Promise<void> }> {
  const requests: Buffer[] = [];
  const raw = (b: Buffer) => b;
  const service: ServiceDefinition = {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  };
  const server = new Server();
  server.addService(service, {
    Export: (call: { request: Buffer }, done: (err: null, res: Buffer) => void) => {
      requests.push(call.request);
      done(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

/** Only PATH and the given variables: no OTEL_* from the machine running the tests leaks in. */
async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

/** A process that starts tracing as `quarry node start` does (node id n7, the given ratio), ends three spans and shuts down. */
function traceThreeSpans(env: Record<string, string>, sampleRatio = 1): Promise<{ code: number | null; stderr: string }> {
  const code = `
    const { startTracing } = await import(${JSON.stringify(TRACING)});
    const tracing = await startTracing({ enabled: true, sampleRatio: ${sampleRatio}, nodeId: 'n7', logger: { warn: (o, m) => console.error(m), info() {}, error: (o, m) => console.error(m), debug() {} } });
    for (const name of ['span-a', 'span-b', 'span-c']) tracing.tracer.startSpan(name).end();
    await tracing.shutdown();`;
  return run(['--input-type=module', '-e', code], env);
}

interface OtlpJson {
  resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
}

function attribute(doc: OtlpJson, key: string): string | undefined {
  return doc.resourceSpans[0]?.resource.attributes.find((a) => a.key === key)?.value.stringValue;
}

describe('ops/telemetry tracing: the standard OTEL_* variables with the real OTLP exporters', function () {
  this.timeout(30_000);
  let http: Awaited<ReturnType<typeof startHttpReceiver>>;
  let grpc: Awaited<ReturnType<typeof startGrpcReceiver>>;

  beforeEach(async () => {
    http = await startHttpReceiver();
    grpc = await startGrpcReceiver();
  });
  afterEach(async () => {
    await http.close();
    await grpc.close();
  });

  it('default protocol http/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, the resource named by OTEL_SERVICE_NAME', async () => {
    const r = await traceThreeSpans({ OTEL_EXPORTER_OTLP_ENDPOINT: http.url, OTEL_SERVICE_NAME: 'hunt-eu' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(http.requests.map((q) => [q.path, q.headers['content-type']]), [['/v1/traces', 'application/x-protobuf']]);
    // Protobuf carries strings as raw UTF-8: the names are in the body as written.
    const body = http.requests[0]!.body;
    for (const s of ['service.name', 'hunt-eu', 'service.instance.id', 'n7', 'span-a', 'span-b', 'span-c']) {
      assert.ok(body.includes(Buffer.from(s)), `"${s}" in the OTLP/protobuf body`);
    }
    assert.equal(grpc.requests.length, 0);
  });

  it('http/json by the traces-specific variables: endpoint used as given, OTEL_EXPORTER_OTLP_HEADERS sent, OTEL_RESOURCE_ATTRIBUTES added, OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1 gives one request a span', async () => {
    const r = await traceThreeSpans({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${http.url}/collector/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=blue',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(http.requests.map((q) => [q.path, q.headers['content-type'], q.headers['x-tenant']]), Array(3).fill(['/collector/traces', 'application/json', 'blue']));
    const docs = http.requests.map((q) => JSON.parse(q.body.toString()) as OtlpJson);
    assert.deepEqual(docs.map((d) => d.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.name)), [['span-a'], ['span-b'], ['span-c']]);
    assert.deepEqual(['service.name', 'service.instance.id', 'deployment.environment'].map((k) => attribute(docs[0]!, k)), ['quarry', 'n7', 'staging']);
    assert.equal(grpc.requests.length, 0);
  });

  it('grpc to OTEL_EXPORTER_OTLP_ENDPOINT: one TraceService/Export call with the three spans', async () => {
    const r = await traceThreeSpans({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: grpc.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(grpc.requests.length, 1);
    for (const s of ['quarry', 'n7', 'span-a', 'span-b', 'span-c']) assert.ok(grpc.requests[0]!.includes(Buffer.from(s)), `"${s}" in the gRPC request`);
    assert.equal(http.requests.length, 0);
  });

  it('OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true export nothing', async () => {
    for (const off of [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }] as Array<Record<string, string>>) {
      const r = await traceThreeSpans({ OTEL_EXPORTER_OTLP_ENDPOINT: http.url, ...off });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(http.requests.length, 0);
  });

  it('sampling is ops.tracingSampleRatio, not OTEL_TRACES_SAMPLER (as under sdk-node, which Quarry gave its sampler)', async () => {
    const r = await traceThreeSpans({ OTEL_EXPORTER_OTLP_ENDPOINT: http.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '1' }, 0);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(http.requests.length, 0);
  });

  it('quarry node start with an OTEL_* value it cannot honour exits 2 naming the variable, before the node starts', async () => {
    const r = await run([QUARRY, 'node', 'start', '--set', 'node.grpcPort=0', '--set', 'node.httpPort=0', '--set', 'node.gossipPort=0'], {
      QUARRY_OPS_ALLOW_DEV_SECRETS: 'true',
      QUARRY_OPS_TRACING_ENABLED: 'true',
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^OTEL_TRACES_EXPORTER: "zipkin" is not supported; use otlp, console or none/m);
  });
});
