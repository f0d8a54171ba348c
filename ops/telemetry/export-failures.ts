import type { Logger } from '../../actors/runtime/types.js';

/** How often failed span exports are logged at most, in ms. @default 60000 */
export const DEFAULT_EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Failed span exports, logged at most once per `intervalMs` with the endpoint and how many failed since the last line:
 * a collector that is down must be visible, but not as a line per batch.
 */
export class ExportFailureLog {
  private lastLogMs = -Infinity;
  private failedSinceLog = 0;

  constructor(
    private readonly endpoint: string,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_EXPORT_FAILURE_LOG_INTERVAL_MS,
  ) {}

  failed(err: unknown, nowMs: number): void {
    this.failedSinceLog++;
    if (nowMs - this.lastLogMs < this.intervalMs) return;
    this.logger.warn(
      { event: 'trace-export-failed', endpoint: this.endpoint, failures: this.failedSinceLog, reason: reasonOf(err) },
      `trace export to ${this.endpoint} failed; spans are dropped until the collector answers (logged at most once a minute)`,
    );
    this.lastLogMs = nowMs;
    this.failedSinceLog = 0;
  }

  /** The last spans could not be exported on the way out; said once, whatever the rate limit. */
  atShutdown(err: unknown): void {
    this.logger.warn({ event: 'trace-export-failed', endpoint: this.endpoint, atShutdown: true, reason: reasonOf(err) }, `the last spans were not exported to ${this.endpoint}`);
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
