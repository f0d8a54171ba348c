import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './load.js';
import type { NodeConfig } from './node-config.js';

/** TLS of the player ports: PEM certificate and key; `clientCa` checks the certificates clients present (node links). */
export interface EdgeTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/** TLS of node links, as `cluster/transport/tls.ts` takes it. */
export interface LinkTlsFiles {
  caPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * Reads and checks the node's TLS files at start: a file that cannot be read, or a certificate outside its validity
 * period, is a ConfigError naming the setting (the node exits 2 rather than failing every handshake later).
 */
export function nodeTls(config: NodeConfig, nowMs = Date.now()): { edge: EdgeTls | undefined; links: LinkTlsFiles | undefined } {
  const { cluster, gateway } = config;
  const links = cluster.tlsCaFile !== null && cluster.tlsCertFile !== null && cluster.tlsKeyFile !== null ? { caPath: cluster.tlsCaFile, certPath: cluster.tlsCertFile, keyPath: cluster.tlsKeyFile } : undefined;
  const clientCa = links ? read('cluster.tlsCaFile', links.caPath) : undefined;
  if (links) {
    certificate('cluster.tlsCertFile', links.certPath, nowMs);
    read('cluster.tlsKeyFile', links.keyPath);
  }
  // The gRPC port shows the player certificate when there is one, else the node's: links dial that port too.
  const [certKey, certPath, keyKey, keyPath] =
    gateway.tlsCertFile !== null && gateway.tlsKeyFile !== null
      ? ['gateway.tlsCertFile', gateway.tlsCertFile, 'gateway.tlsKeyFile', gateway.tlsKeyFile]
      : links
        ? ['cluster.tlsCertFile', links.certPath, 'cluster.tlsKeyFile', links.keyPath]
        : [];
  if (certKey === undefined) return { edge: undefined, links };
  const edge: EdgeTls = { cert: certificate(certKey, certPath!, nowMs), key: read(keyKey!, keyPath!), ...(clientCa ? { clientCa } : {}) };
  return { edge, links };
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function certificate(key: string, path: string, nowMs: number): Buffer {
  const pem = read(key, path);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(key, `${path} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  if (Date.parse(cert.validTo) <= nowMs) throw new ConfigError(key, `the certificate in ${path} expired on ${new Date(cert.validTo).toISOString()}; renew it`);
  if (Date.parse(cert.validFrom) > nowMs) throw new ConfigError(key, `the certificate in ${path} is not valid before ${new Date(cert.validFrom).toISOString()}`);
  return pem;
}
