import * as grpc from '@grpc/grpc-js';
import { GrpcTransport, type GrpcTransportOptions } from '../../../cluster/transport/grpc.js';
import { linkServerCredentials, type LinkTlsOptions } from '../../../cluster/transport/tls.js';
import type { Envelope } from '../../../cluster/transport/transport.js';

export const KEY = 'test-cluster-key-0123456789';

export interface TestNode {
  id: string;
  transport: GrpcTransport;
  server: grpc.Server;
  address: string;
  port: number;
  /** Kills the server (links through it drop); the transport stays. */
  killServer(): void;
  /** Binds a fresh server on the same port, hosting the same transport. */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

async function bind(server: grpc.Server, port: number, tls?: LinkTlsOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, linkServerCredentials(tls), (err, p) => (err ? reject(err) : resolve(p)));
  });
}

/** A real grpc-js server on a free loopback port hosting a `GrpcTransport`. */
export async function startNode(id: string, options: Partial<GrpcTransportOptions> = {}): Promise<TestNode> {
  const transport = new GrpcTransport({ nodeId: id, clusterKey: KEY, reconnectBaseMs: 20, reconnectMaxMs: 200, ...options });
  let server = new grpc.Server();
  transport.addToServer(server);
  const port = await bind(server, 0, options.tls);
  const node: TestNode = {
    id,
    transport,
    server,
    address: `127.0.0.1:${port}`,
    port,
    killServer() {
      server.forceShutdown();
    },
    async restartServer() {
      server = new grpc.Server();
      node.server = server;
      transport.addToServer(server);
      await bind(server, port, options.tls);
    },
    async stop() {
      await transport.close();
      server.forceShutdown();
    },
  };
  return node;
}

export function envelope(payload: Uint8Array | string, key = 'k1', sender = 'test'): Envelope {
  return {
    target: { kind: 'counter', key },
    sender,
    correlationId: 0,
    trace: {},
    payload: Buffer.from(payload),
    hops: 0,
    deadlineMs: 0,
  };
}

/** A promise with its resolve exposed, for gating handlers. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
