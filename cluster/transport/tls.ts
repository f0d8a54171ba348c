/**
 * Optional TLS for node links: encryption, and the dialler checks the acceptor's certificate against the
 * cluster's CA. Peer identity is proven by the cluster key either way (`auth.ts`). Client certificates are
 * required only on request, because the node's one grpc-js server also serves players, who have none.
 */
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
  /** Server side: refuse TLS clients without a certificate from the CA (only for a server that hosts no player service). */
  requireClientCertificate?: boolean;
}

export function linkChannelCredentials(tls: LinkTlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(readFileSync(tls.caPath), readFileSync(tls.keyPath), readFileSync(tls.certPath));
}

/** For the node's one grpc-js server (bound by `node/cluster.ts`). */
export function linkServerCredentials(tls: LinkTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    readFileSync(tls.caPath),
    [{ private_key: readFileSync(tls.keyPath), cert_chain: readFileSync(tls.certPath) }],
    tls.requireClientCertificate ?? false,
  );
}

export function tlsChannelOptions(tls: LinkTlsOptions | undefined): grpc.ChannelOptions {
  return tls?.serverNameOverride ? { 'grpc.ssl_target_name_override': tls.serverNameOverride, 'grpc.default_authority': tls.serverNameOverride } : {};
}
