import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const QUARRY_JS = fileURLToPath(new URL('../../scripts/quarry.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `quarry ...` as a child process with `env` on top of PATH and HOME only (no QUARRY_* variable of the test's
 * own environment leaks in, so each test states the settings it depends on), or on top of the whole environment
 * with `inheritEnv`.
 */
export function runQuarry(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, inheritEnv = false): Promise<CliResult> {
  return new Promise((resolve) => {
    const base = inheritEnv ? process.env : { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    execFile(process.execPath, [QUARRY_JS, ...args], { env: { ...base, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A Node.js stack trace line: what an operator must never see for a usage or config error. */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
