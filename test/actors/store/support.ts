import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp folder; `remove()` deletes it (call after closing the store). */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `quarry-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
