import { connect as tcpConnect } from 'node:net';

/**
 * Whether anything listens at a lost peer's link address: one TCP connect. A refusal means the peer's process is gone
 * (killed, crashed, restarting); a connect or a timeout proves nothing either way.
 */
/** How long a TCP probe of a lost peer's port may take before it counts as inconclusive, in ms. @default 1000 */
export const PORT_PROBE_TIMEOUT_MS = 1_000;

/** `host:port` of a link address (`127.0.0.1:7101`, `[::1]:7101`, `dns:host:7101`); undefined if it has no port. */
export function hostPortOf(address: string): { host: string; port: number } | undefined {
  const m = /^(?:dns:)?\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!m || m[1] === '') return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65_536 ? { host: m[1]!, port } : undefined;
}

/** Calls `done(true)` when a TCP connect to `address` is refused, `done(false)` otherwise (or when it has no port). */
export function probeRefused(address: string, done: (refused: boolean) => void): void {
  const target = hostPortOf(address);
  if (target === undefined) return done(false);
  const socket = tcpConnect(target);
  socket.setTimeout(PORT_PROBE_TIMEOUT_MS);
  let settled = false;
  const settle = (refused: boolean): void => {
    if (settled) return;
    settled = true;
    socket.destroy();
    done(refused);
  };
  socket.once('connect', () => settle(false));
  socket.once('timeout', () => settle(false));
  socket.once('error', (err: NodeJS.ErrnoException) => settle(err.code === 'ECONNREFUSED'));
}
