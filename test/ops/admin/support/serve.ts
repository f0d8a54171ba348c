/** Serves an AdminTarget the way a node does: Admin on the gRPC port, the inspector on the HTTP port. */
import { startGatewayServer, type GatewayServer } from '../../../../gateway/server.js';
import { adminService } from '../../../../ops/admin/service.js';
import type { AdminTarget } from '../../../../ops/admin/target.js';
import { createInspectorHandler } from '../../../../ops/inspector/handler.js';

export interface Served<T extends AdminTarget> {
  readonly target: T;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  readonly edge: GatewayServer;
  close(): Promise<void>;
}

export async function serveTarget<T extends AdminTarget>(make: (grpcAddress: string) => T, operatorToken: string, livePollMs = 200): Promise<Served<T>> {
  let target: T | undefined;
  // The address is known once the port is bound; calls read the target through this forwarder.
  const lazy = new Proxy({} as AdminTarget, { get: (_o, p) => (target as never)[p] });
  const admin = adminService({ target: lazy, operatorToken, peerTimeoutMs: 1000 });
  let inspector: ReturnType<typeof createInspectorHandler> | undefined;
  const edge = await startGatewayServer({
    host: '127.0.0.1', grpcPort: 0, httpPort: 0, services: [admin], maxMessageBytes: 4 * 1024 * 1024, corsOrigins: [],
    httpFallback: (req, res) => {
      if (!inspector?.(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  });
  const grpcAddress = `127.0.0.1:${edge.grpcPort}`;
  target = make(grpcAddress);
  inspector = createInspectorHandler(target, operatorToken, { livePollMs });
  return {
    target, grpcAddress, httpUrl: `http://127.0.0.1:${edge.httpPort}`, edge,
    async close() {
      inspector!.close();
      admin.close();
      await edge.close();
    },
  };
}
