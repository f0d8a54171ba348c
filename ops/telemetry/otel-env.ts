/**
 * The standard `OTEL_*` variables that shape Quarry's trace pipeline, read into plain values. The OTLP exporters read
 * their own variables (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `_HEADERS`, `_TIMEOUT`, `_COMPRESSION`,
 * `_CERTIFICATE`, ...) and the resource detector reads `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`; what is
 * left, the choices `@opentelemetry/sdk-node` used to make from the environment, is read here.
 *
 * Sampling is not among them: it comes from `ops.tracingSampleRatio` (ParentBased(TraceIdRatio)), as it did under
 * sdk-node, which Quarry gave an explicit sampler; `OTEL_TRACES_SAMPLER[_ARG]` are not read.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type TraceExporterName = 'otlp' | 'console';
export type PropagatorName = 'tracecontext' | 'baggage';

export interface OtelTraceEnv {
  /** `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`: start nothing, as sdk-node did. */
  disabled: boolean;
  /** `OTEL_TRACES_EXPORTER` (comma list); `otlp` when unset. */
  exporters: TraceExporterName[];
  /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`; `http/protobuf` when unset. */
  otlpProtocol: OtlpProtocol;
  /** `OTEL_BSP_*`: only the variables that are set; the batch processor's own defaults fill the rest. */
  batch: { maxQueueSize?: number; scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxExportBatchSize?: number };
  /** `OTEL_SPAN_*_LIMIT` and the general `OTEL_ATTRIBUTE_*_LIMIT`: only those set. */
  spanLimits: {
    attributeCountLimit?: number;
    attributeValueLengthLimit?: number;
    eventCountLimit?: number;
    linkCountLimit?: number;
    attributePerEventCountLimit?: number;
    attributePerLinkCountLimit?: number;
  };
  /** `OTEL_PROPAGATORS`; `tracecontext,baggage` when unset, empty for `none` (no propagator registered). */
  propagators: PropagatorName[];
  /** `OTEL_LOG_LEVEL` (the SDK's own diagnostics, e.g. failed exports), unset: silent. */
  logLevel: string | undefined;
}

/** An `OTEL_*` variable this process cannot honour; the node stops at start-up instead of silently not exporting. */
export class OtelEnvError extends Error {
  override name = 'OtelEnvError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const EXPORTERS: readonly TraceExporterName[] = ['otlp', 'console'];
const PROPAGATORS: readonly PropagatorName[] = ['tracecontext', 'baggage'];
const LOG_LEVELS = ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'VERBOSE', 'ALL'];

type Env = Readonly<Record<string, string | undefined>>;

/** Unset and blank are the same, as the OpenTelemetry specification asks. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function list(env: Env, name: string): string[] | undefined {
  const value = read(env, name);
  return value === undefined ? undefined : [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
}

function count(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new OtelEnvError(name, `must be a whole number >= 0, got "${value}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], hint = ''): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new OtelEnvError(name, `"${value}" is not supported; use ${allowed.join(', ')}${hint}`);
}

/** Drops the keys whose value is undefined, so spreading the result over SDK defaults keeps those defaults. */
function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function readOtelTraceEnv(env: Env): OtelTraceEnv {
  const exporterNames = list(env, 'OTEL_TRACES_EXPORTER') ?? ['otlp'];
  const disabled = read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true' || (exporterNames.length === 1 && exporterNames[0] === 'none');
  const exporters = disabled ? [] : exporterNames.map((e) => oneOf('OTEL_TRACES_EXPORTER', e, EXPORTERS, ' or none (zipkin is not bundled)'));

  const protocolVar = read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const otlpProtocol = oneOf(protocolVar, read(env, protocolVar) ?? 'http/protobuf', PROTOCOLS);

  const propagatorNames = list(env, 'OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'];
  const propagators = propagatorNames.includes('none') ? [] : propagatorNames.map((p) => oneOf('OTEL_PROPAGATORS', p, PROPAGATORS, ' or none'));

  const logLevel = read(env, 'OTEL_LOG_LEVEL');
  if (logLevel !== undefined) oneOf('OTEL_LOG_LEVEL', logLevel.toUpperCase(), LOG_LEVELS);

  return {
    disabled,
    exporters,
    otlpProtocol,
    batch: defined({
      maxQueueSize: count(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
      scheduledDelayMillis: count(env, 'OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: count(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
      maxExportBatchSize: count(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    }),
    spanLimits: defined({
      attributeCountLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? count(env, 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
      attributeValueLengthLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? count(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
      eventCountLimit: count(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT'),
      linkCountLimit: count(env, 'OTEL_SPAN_LINK_COUNT_LIMIT'),
      attributePerEventCountLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
      attributePerLinkCountLimit: count(env, 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
    }),
    propagators,
    logLevel,
  };
}
