import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

// fs-native-extensions (holepunch) ships prebuilt binaries; on Linux its lock is an open-file-description lock
// (fcntl F_OFD_SETLK), on macOS flock: the kernel drops it when the process dies, kill -9 included, and it conflicts
// between two opens of the file even inside one process (two nodes of one test process).
const native = createRequire(import.meta.url)('fs-native-extensions') as { tryLock(fd: number): boolean };

/** Name of the lock file inside `node.dataDir`; it holds the holder's pid (for the message, never for the decision). */
export const DATA_DIR_LOCK_FILE = 'quarry.lock';

/** Another live process holds the data folder. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(readonly dir: string, readonly holderPid: number | undefined) {
    super(`node.dataDir ${dir} is in use by another process (pid ${holderPid ?? 'unknown'}); one node per data folder`);
  }
}

export interface DataDirLock {
  readonly dir: string;
  /** Releases the lock (closing the file); idempotent. */
  release(): void;
}

/**
 * Takes the exclusive lock on a data folder before LMDB opens it: LMDB itself lets several processes share an
 * environment, so two nodes on one folder would both start and both write. The lock is the kernel's, so nothing is
 * stale after a crash; the pid in the file only names the holder in the refusal.
 */
export function lockDataDir(dir: string): DataDirLock {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const file = join(abs, DATA_DIR_LOCK_FILE);
  const fd = openSync(file, 'a+');
  let locked = false;
  try {
    locked = native.tryLock(fd);
  } finally {
    if (!locked) closeSync(fd);
  }
  if (!locked) {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    throw new DataDirLockedError(abs, Number.isInteger(pid) && pid > 0 ? pid : undefined);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let open = true;
  return {
    dir: abs,
    release() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
