import assert from 'node:assert/strict';
import { OtelEnvError, readOtelTraceEnv } from '../../ops/telemetry/otel-env.js';

describe('ops/telemetry readOtelTraceEnv (the OTEL_* variables sdk-node used to read)', () => {
  it('with nothing set: OTLP over http/protobuf, W3C tracecontext + baggage, SDK defaults for batching and limits', () => {
    assert.deepEqual(readOtelTraceEnv({}), {
      disabled: false,
      exporters: ['otlp'],
      otlpProtocol: 'http/protobuf',
      batch: {},
      spanLimits: {},
      propagators: ['tracecontext', 'baggage'],
      logLevel: undefined,
    });
  });

  it('blank values count as unset', () => {
    const env = readOtelTraceEnv({ OTEL_TRACES_EXPORTER: ' ', OTEL_EXPORTER_OTLP_PROTOCOL: '', OTEL_BSP_SCHEDULE_DELAY: '' });
    assert.deepEqual([env.exporters, env.otlpProtocol, env.batch], [['otlp'], 'http/protobuf', {}]);
  });

  it('the traces-specific protocol wins over the general one', () => {
    const table: Array<[Record<string, string>, string]> = [
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'grpc'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'http/json'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'http/json'],
    ];
    for (const [env, protocol] of table) assert.equal(readOtelTraceEnv(env).otlpProtocol, protocol, JSON.stringify(env));
  });

  it('OTEL_BSP_* and the span limits, the span-specific attribute limits before the general ones', () => {
    const env = readOtelTraceEnv({
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1',
      OTEL_BSP_EXPORT_TIMEOUT: '5000',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '32',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '8',
    });
    assert.deepEqual(env.batch, { maxQueueSize: 4096, scheduledDelayMillis: 200, exportTimeoutMillis: 5000, maxExportBatchSize: 1 });
    assert.deepEqual(env.spanLimits, { attributeCountLimit: 32, attributeValueLengthLimit: 100, eventCountLimit: 8 });
  });

  it('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none start nothing; console is an exporter', () => {
    assert.equal(readOtelTraceEnv({ OTEL_SDK_DISABLED: 'true' }).disabled, true);
    assert.equal(readOtelTraceEnv({ OTEL_SDK_DISABLED: 'false' }).disabled, false);
    assert.deepEqual(readOtelTraceEnv({ OTEL_TRACES_EXPORTER: 'none' }), { ...readOtelTraceEnv({}), disabled: true, exporters: [] });
    assert.deepEqual(readOtelTraceEnv({ OTEL_TRACES_EXPORTER: 'otlp,console,otlp' }).exporters, ['otlp', 'console']);
  });

  it('OTEL_PROPAGATORS: a subset, or none', () => {
    assert.deepEqual(readOtelTraceEnv({ OTEL_PROPAGATORS: 'tracecontext' }).propagators, ['tracecontext']);
    assert.deepEqual(readOtelTraceEnv({ OTEL_PROPAGATORS: 'none' }).propagators, []);
  });

  it('a value Quarry cannot honour is an error naming the variable, not a silent default', () => {
    const table: Array<[Record<string, string>, RegExp]> = [
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, /^OTEL_TRACES_EXPORTER: "zipkin" is not supported; use otlp, console or none/],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, /^OTEL_EXPORTER_OTLP_PROTOCOL: "http" is not supported; use http\/protobuf, http\/json, grpc$/],
      [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: /],
      [{ OTEL_PROPAGATORS: 'tracecontext,b3' }, /^OTEL_PROPAGATORS: "b3" is not supported/],
      [{ OTEL_BSP_SCHEDULE_DELAY: '-1' }, /^OTEL_BSP_SCHEDULE_DELAY: must be a whole number >= 0, got "-1"$/],
      [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1.5' }, /^OTEL_BSP_MAX_EXPORT_BATCH_SIZE: /],
      [{ OTEL_LOG_LEVEL: 'loud' }, /^OTEL_LOG_LEVEL: "LOUD" is not supported/],
    ];
    for (const [env, message] of table) {
      assert.throws(() => readOtelTraceEnv(env), (err: unknown) => err instanceof OtelEnvError && message.test(err.message), JSON.stringify(env));
    }
  });
});
