import type { ClientHttp2Session } from 'node:http2';
import { Metadata, credentials } from '@grpc/grpc-js';
import { HuntClient } from '../../../../proto/gen/hunt.js';
import { startTestGateway, type TestGateway } from '../../grpcweb/support/gateway.js';
import { rawSession } from './raw-h2.js';

/** A test gateway with a grpc-js client and a raw HTTP/2 session connected to its native port. */
export interface Connected {
  gw: TestGateway;
  client: HuntClient;
  raw: ClientHttp2Session;
}

export async function connect(singlePort: boolean): Promise<Connected> {
  const gw = await startTestGateway({ singlePort });
  return { gw, client: new HuntClient(gw.grpcAddress, credentials.createInsecure()), raw: await rawSession(gw.grpcAddress) };
}

export async function disconnect(c: Partial<Connected>): Promise<void> {
  c.raw?.close();
  c.client?.close();
  await c.gw?.close();
}

/** `authorization: Bearer <token>` for `playerId`, signed with the gateway's secret. */
export async function bearerOf(gw: TestGateway, playerId: string): Promise<Metadata> {
  const m = new Metadata();
  m.set('authorization', `Bearer ${await gw.token(playerId)}`);
  return m;
}
