import { pino, type Logger, type DestinationStream } from 'pino';

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
}

/** One structured JSON logger per node (no global): `{"level":30,"time":...,"node":"n1","event":"member",...}`. */
export function createLogger(options: LogOptions): Logger {
  return pino(
    {
      level: options.level,
      base: options.nodeId ? { node: options.nodeId } : {},
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
