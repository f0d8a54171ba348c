import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type DestinationStream } from 'pino';
import { DEFAULT_LOG_SAMPLE_LINES, DEFAULT_LOG_SAMPLE_WINDOW_MS, LogSampler } from './log-sampler.js';

/** Object paths whose values are secrets: censored wherever they show up in a log line (one or two levels deep). */
export const REDACT_PATHS = [
  'key',
  'clusterKey',
  'tokenSecret',
  'operatorToken',
  'token',
  'authorization',
  '*.key',
  '*.clusterKey',
  '*.tokenSecret',
  '*.operatorToken',
  '*.token',
  '*.authorization',
  'config.cluster.key',
  'config.gateway.tokenSecret',
  'config.ops.operatorToken',
];

export interface LogOptions {
  level: string;
  /** Node id, on every line. */
  nodeId?: string;
  /**
   * @default stdout, written asynchronously: a synchronous write blocks the event loop whenever the reader of
   * stdout is slow (measured: 25–29 % of a loaded node's time in pino's atomic-sleep, behind a full pipe). Call
   * `logger.flush()` before exiting.
   */
  destination?: DestinationStream;
  /**
   * Warn and error lines are sampled per (message, error name): `linesPerWindow` per `windowMs`, then counted and
   * summarised (ops/log-sampler.ts). `false` writes every line.
   * @default { linesPerWindow: 5, windowMs: 10000 }
   */
  sampling?: { linesPerWindow: number; windowMs: number } | false;
  /**
   * Adds `trace_id` and `span_id` of the active span to every line written inside one, so a log line leads to its
   * trace (the node sets it with `ops.tracingEnabled`). Off, no line pays for the lookup. @default false
   */
  traceIds?: boolean;
}

/** The active span's ids in OpenTelemetry's log field names, or nothing outside a (valid) span. */
function traceIdsOfActiveSpan(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  return isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

/** pino's numeric level of `warn`: lines at it and above are sampled. */
const WARN_LEVEL = 40;
/** The message of a sampling summary line (itself never sampled). */
export const SAMPLED_SUMMARY_MSG = 'similar lines left out';

/** One structured JSON logger per node (no global): `{"level":30,"time":...,"node":"n1","event":"member",...}`. */
export function createLogger(options: LogOptions): Logger {
  const sampling = options.sampling ?? { linesPerWindow: DEFAULT_LOG_SAMPLE_LINES, windowMs: DEFAULT_LOG_SAMPLE_WINDOW_MS };
  const sampler = sampling === false ? undefined : new LogSampler(Date.now, sampling.linesPerWindow, sampling.windowMs);
  const logger = pino(
    {
      level: options.level,
      base: options.nodeId ? { node: options.nodeId } : {},
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...(options.traceIds === true ? { mixin: traceIdsOfActiveSpan } : {}),
      ...(sampler === undefined
        ? {}
        : {
            hooks: {
              logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void, level: number) {
                if (level < WARN_LEVEL) return method.apply(this, args);
                const [obj, msg] = args as unknown as [unknown, unknown];
                if (msg === SAMPLED_SUMMARY_MSG) return method.apply(this, args);
                const err = (obj as { err?: { name?: unknown } } | null)?.err;
                const admitted = sampler.admit(`${typeof msg === 'string' ? msg : ''}|${typeof err?.name === 'string' ? err.name : ''}`);
                if (admitted === undefined) return;
                if (admitted.suppressed === 0 || typeof obj !== 'object' || obj === null) return method.apply(this, args);
                return method.apply(this, [{ ...obj, suppressedBefore: admitted.suppressed }, ...(args as unknown[]).slice(1)]);
              },
            },
          }),
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  if (sampler !== undefined) {
    const timer = setInterval(() => {
      for (const { key, suppressed } of sampler.drain()) logger.warn({ event: 'log-sampled', line: key, suppressed }, SAMPLED_SUMMARY_MSG);
    }, sampling === false ? 0 : sampling.windowMs);
    timer.unref();
  }
  return logger;
}
