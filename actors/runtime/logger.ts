import type { Logger } from './types.js';

/** Used when no logger is given: errors and warnings as JSON lines on stderr, the rest dropped. */
export function consoleLogger(): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    const fields: Record<string, unknown> = { level, msg, ...obj };
    const err = (obj as { err?: unknown }).err;
    if (err instanceof Error) fields.err = { name: err.name, message: err.message, stack: err.stack };
    process.stderr.write(JSON.stringify(fields) + '\n');
  };
  const drop = () => undefined;
  return { error: write('error'), warn: write('warn'), info: drop, debug: drop };
}

/** Drops everything: for parts built without a logger (a node always passes its own). */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** Collects entries, for tests. */
export function memoryLogger(): Logger & { entries: Array<{ level: string; obj: object; msg?: string }> } {
  const entries: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
  return { entries, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
