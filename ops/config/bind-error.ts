import type { NodeConfig } from './node-config.js';

/** What Node.js puts on a failed `listen` (TCP) or `bind` (UDP). */
interface SystemBindError {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is already in use by another process',
  EACCES: 'may not be bound by this user (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/**
 * The operator's message for a listener that could not be opened, naming the setting to change, or undefined when
 * `err` (or a cause of it) is no such error. TCP listeners are node.grpcPort and node.httpPort, the UDP socket is
 * node.gossipPort; EADDRNOTAVAIL points at node.host.
 */
export function bindErrorMessage(err: unknown, node: NodeConfig['node']): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const sys = e as SystemBindError;
    const reason = sys.code ? REASONS[sys.code] : undefined;
    if (!reason || (sys.syscall !== 'listen' && sys.syscall !== 'bind')) continue;
    const where = `${sys.address ?? node.host}:${sys.port ?? '?'}`;
    if (sys.code === 'EADDRNOTAVAIL') return `config node.host: cannot listen on ${where}: ${JSON.stringify(node.host)} ${reason}`;
    const keys = sys.syscall === 'bind' ? ['node.gossipPort'] : (['grpcPort', 'httpPort'] as const).filter((k) => node[k] === sys.port).map((k) => `node.${k}`);
    const named = keys.length > 0 ? keys.join(' / ') : 'node.grpcPort / node.httpPort';
    return `config ${named}: ${sys.syscall === 'bind' ? 'UDP' : 'TCP'} port ${where} ${reason}; choose another port (0 = any free port)`;
  }
  return undefined;
}
