import type { SnapshotStore, SweepResult } from '../store/snapshot-store.js';
import type { Clock, Logger } from './types.js';

/** Deletes expired sessions and audit entries from the store every `intervalMs`, one sweep at a time. */
export class TtlSweep {
  private readonly timer: unknown;
  private sweeping: Promise<SweepResult> | null = null;

  constructor(private readonly store: SnapshotStore, private readonly clock: Clock, private readonly logger: Logger, intervalMs: number) {
    this.timer = clock.setInterval(() => void this.now(), intervalMs);
  }

  /** Sweeps now; while a sweep runs, that sweep's result. */
  now(): Promise<SweepResult> {
    if (this.sweeping !== null) return this.sweeping;
    const run = this.store.sweepExpired(this.clock.now());
    this.sweeping = run;
    const done = () => {
      this.sweeping = null;
    };
    run.then(done, (err: unknown) => {
      done();
      this.logger.error({ err }, 'TTL sweep failed');
    });
    return run;
  }

  /** Stops the timer; a sweep in flight runs on (`settled` waits for it). */
  stop(): void {
    this.clock.clearInterval(this.timer);
  }

  /** Resolves once the sweep in flight, if any, has ended (a failure was logged already). */
  async settled(): Promise<void> {
    await this.sweeping?.catch(() => undefined);
  }
}
