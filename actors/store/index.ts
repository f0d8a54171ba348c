export * from './errors.js';
export * from './options.js';
export * from './snapshot-codec.js';
export * from './snapshot-store.js';
export { openLmdbStore, openLmdbDatabases, LmdbSnapshotStore, DB_NAMES } from './lmdb-store.js';
export { lockDataDir, DataDirLockedError, DATA_DIR_LOCK_FILE, type DataDirLock } from './data-dir-lock.js';
