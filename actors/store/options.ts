import { InvalidStoreOptionError } from './errors.js';

/** Largest size the LMDB environment may grow to, in MiB. @default 4096 */
export const DEFAULT_MAP_SIZE_MB = 4_096;
/** How long audit entries are kept, in days. @default 14 */
export const DEFAULT_AUDIT_RETENTION_DAYS = 14;
/** Most index entries one sweep transaction deletes, so a big backlog never holds the write lock long. @default 10000 */
export const DEFAULT_SWEEP_BATCH_ENTRIES = 10_000;

export interface StoreOptions {
  /** Folder of the LMDB environment (created if missing). */
  readonly path: string;
  readonly mapSizeMb?: number;
  readonly auditRetentionDays?: number;
  readonly sweepBatchEntries?: number;
}

export interface ResolvedStoreOptions {
  readonly path: string;
  readonly mapSizeMb: number;
  readonly auditRetentionDays: number;
  readonly sweepBatchEntries: number;
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
  };
  positiveInt('store.mapSizeMb', resolved.mapSizeMb);
  positiveInt('store.auditRetentionDays', resolved.auditRetentionDays);
  positiveInt('store.sweepBatchEntries', resolved.sweepBatchEntries);
  return resolved;
}

function positiveInt(key: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidStoreOptionError(key, `must be a positive integer, got ${value}`);
}
