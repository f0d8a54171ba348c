import { InvalidStoreOptionError } from './errors.js';

/** Largest size the LMDB environment may grow to, in MiB. @default 4096 */
export const DEFAULT_MAP_SIZE_MB = 4_096;
/** How long audit entries are kept, in days. @default 14 */
export const DEFAULT_AUDIT_RETENTION_DAYS = 14;
/** Most index entries one sweep transaction deletes, so a big backlog never holds the write lock long. @default 10000 */
export const DEFAULT_SWEEP_BATCH_ENTRIES = 10_000;

/**
 * Whether a commit resolves (and the asks depending on it are answered) only after LMDB's fsync: true survives a
 * power loss; false resolves once the transaction is committed and visible (it survives a crash of the process, not of
 * the machine) and the flush follows in the background. @default true
 */
export const DEFAULT_ACK_AFTER_DISK_FLUSH = true;

export interface StoreOptions {
  /** Folder of the LMDB environment (created if missing). */
  readonly path: string;
  readonly mapSizeMb?: number;
  readonly auditRetentionDays?: number;
  readonly sweepBatchEntries?: number;
  readonly ackAfterDiskFlush?: boolean;
}

export interface ResolvedStoreOptions {
  readonly path: string;
  readonly mapSizeMb: number;
  readonly auditRetentionDays: number;
  readonly sweepBatchEntries: number;
  readonly ackAfterDiskFlush: boolean;
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new InvalidStoreOptionError('store.path', 'must be a non-empty folder path');
  }
  const resolved = {
    path: options.path,
    mapSizeMb: options.mapSizeMb ?? DEFAULT_MAP_SIZE_MB,
    auditRetentionDays: options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    sweepBatchEntries: options.sweepBatchEntries ?? DEFAULT_SWEEP_BATCH_ENTRIES,
    ackAfterDiskFlush: options.ackAfterDiskFlush ?? DEFAULT_ACK_AFTER_DISK_FLUSH,
  };
  if (typeof resolved.ackAfterDiskFlush !== 'boolean') throw new InvalidStoreOptionError('store.ackAfterDiskFlush', `must be true or false, got ${String(resolved.ackAfterDiskFlush)}`);
  positiveInt('store.mapSizeMb', resolved.mapSizeMb);
  positiveInt('store.auditRetentionDays', resolved.auditRetentionDays);
  positiveInt('store.sweepBatchEntries', resolved.sweepBatchEntries);
  return resolved;
}

function positiveInt(key: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidStoreOptionError(key, `must be a positive integer, got ${value}`);
}
