/** Optional mutual TLS for node links: both sides present a certificate signed by the cluster's CA. */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface LinkTlsOptions {
  /** PEM of the CA that signs every node's certificate. */
  caPath: string;
  /** PEM certificate chain of this node. */
  certPath: string;
  /** PEM private key of this node. */
  keyPath: string;
  /** Name to expect in peers' certificates instead of the dialled host (e.g. one shared cluster name). */
  serverNameOverride?: string;
}

export function linkChannelCredentials(tls: LinkTlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(readFileSync(tls.caPath), readFileSync(tls.keyPath), readFileSync(tls.certPath));
}

/** For the node's one grpc-js server (bound by `cluster/node.ts`): requires and checks client certificates. */
export function linkServerCredentials(tls: LinkTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    readFileSync(tls.caPath),
    [{ private_key: readFileSync(tls.keyPath), cert_chain: readFileSync(tls.certPath) }],
    true,
  );
}

export function tlsChannelOptions(tls: LinkTlsOptions | undefined): grpc.ChannelOptions {
  return tls?.serverNameOverride ? { 'grpc.ssl_target_name_override': tls.serverNameOverride, 'grpc.default_authority': tls.serverNameOverride } : {};
}
