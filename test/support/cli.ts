import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const QUARRY_JS = fileURLToPath(new URL('../../scripts/quarry.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `quarry ...` as a child process with exactly `env` on top of PATH and HOME: no QUARRY_* variable of the
 * test's own environment leaks in, so each test states the settings it depends on.
 */
export function runQuarry(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [QUARRY_JS, ...args], { env: { ...base, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A Node.js stack trace line: what an operator must never see for a usage or config error. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
