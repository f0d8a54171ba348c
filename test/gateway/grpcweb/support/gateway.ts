import { startGatewayServer, type GatewayServer, type GatewayServerOptions } from '../../../../gateway/server.js';
import { TokenVerifier, issuePlayerToken } from '../../../../gateway/auth/index.js';
import { FakeHunt } from './fake-hunt.js';

export const TEST_SECRET = 'test-token-secret-0123456789abcdef0123';
export const TEST_ORIGIN = 'http://allowed.test';
export const TEST_MAX_MESSAGE_BYTES = 4096;

export interface TestGateway {
  server: GatewayServer;
  hunt: FakeHunt;
  token(playerId: string, ttlMinutes?: number): Promise<string>;
  webUrl: string;
  grpcAddress: string;
  close(): Promise<void>;
}

/** A gateway on free loopback ports serving a FakeHunt; `singlePort` serves both protocols on one port. */
export interface TestGatewayOptions {
  singlePort?: boolean;
  staticDir?: string;
  connectionIdleMs?: number;
  corsOrigins?: string[];
  nativeStreams?: boolean;
  /** Native-only services (a node link), as the node mounts them. */
  beforeBind?: GatewayServerOptions['beforeBind'];
  nativeOnlyMaxMessageBytes?: number;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const verifier = new TokenVerifier({ hs256Secret: TEST_SECRET });
  const hunt = new FakeHunt(verifier);
  const server = await startGatewayServer({
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    singlePort: opts.singlePort ?? false,
    services: [hunt.binding()],
    maxMessageBytes: TEST_MAX_MESSAGE_BYTES,
    corsOrigins: opts.corsOrigins ?? [TEST_ORIGIN],
    ...(opts.staticDir ? { staticDir: opts.staticDir } : {}),
    ...(opts.connectionIdleMs ? { connectionIdleMs: opts.connectionIdleMs } : {}),
    ...(opts.nativeStreams !== undefined ? { nativeStreams: opts.nativeStreams } : {}),
    ...(opts.beforeBind ? { beforeBind: opts.beforeBind } : {}),
    ...(opts.nativeOnlyMaxMessageBytes !== undefined ? { nativeOnlyMaxMessageBytes: opts.nativeOnlyMaxMessageBytes } : {}),
  });
  return {
    server,
    hunt,
    token: (playerId, ttlMinutes = 10) => issuePlayerToken({ alg: 'HS256', secret: TEST_SECRET }, { playerId, ttlMinutes }),
    webUrl: `http://127.0.0.1:${server.httpPort}`,
    grpcAddress: `127.0.0.1:${server.grpcPort}`,
    close: () => server.close(),
  };
}
