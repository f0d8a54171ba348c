/**
 * The page's test stack: the real gRPC-web adapter and grpc-js server (gateway/server.ts) with the fake
 * Hunt behind it, real player-token auth, and the page served by serveWeb on the same HTTP port.
 */
import { fileURLToPath } from 'node:url';
import { loadHuntFile, type HuntDefinition } from '../../../../actors/hunt/index.js';
import { issuePlayerToken, TokenVerifier } from '../../../../gateway/auth/index.js';
import { startGatewayServer, type GatewayServer } from '../../../../gateway/server.js';
import { createWebHandler } from '../../../../gateway/web/serve.js';
import { HuntService } from '../../../../proto/gen/hunt.js';
import { createFakeHunt, type FakeHunt } from './fake-hunt.js';

const SECRET = 'web-test-secret-0123456789abcdefghijklmnop';

/** The generated sample hunt (20 buildings, 300 beacons), as copied next to the compiled tests. */
export const SAMPLE_HUNT_FILE = fileURLToPath(new URL('../../../../actors/hunt/samples/city-hunt.json', import.meta.url));

export interface WebStack {
  readonly baseUrl: string;
  readonly hunt: HuntDefinition;
  readonly fake: FakeHunt;
  readonly server: GatewayServer;
  tokenFor(playerId: string, secret?: string): Promise<string>;
  pageUrl(playerId: string, token: string): string;
  close(): Promise<void>;
}

export async function startWebStack(hunt: HuntDefinition = loadHuntFile(SAMPLE_HUNT_FILE)): Promise<WebStack> {
  const fake = createFakeHunt(hunt, new TokenVerifier({ hs256Secret: SECRET }));
  const serveWeb = createWebHandler({ hunt });
  const server = await startGatewayServer({
    host: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    services: [{ definition: HuntService, implementation: fake.implementation }],
    maxMessageBytes: 1024 * 1024,
    corsOrigins: [],
    httpFallback: (req, res) => {
      if (!serveWeb(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    },
  });
  const baseUrl = `http://127.0.0.1:${server.httpPort}`;
  return {
    baseUrl,
    hunt,
    fake,
    server,
    tokenFor: (playerId, secret = SECRET) => issuePlayerToken({ alg: 'HS256', secret }, { playerId, ttlMinutes: 60 }),
    pageUrl: (playerId, token) => `${baseUrl}/?player=${encodeURIComponent(playerId)}&token=${encodeURIComponent(token)}`,
    close: () => server.close(),
  };
}
