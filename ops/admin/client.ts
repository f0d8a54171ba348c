/**
 * A promise-based Admin client carrying the operator credential; used by the CLI, the inspector and the service's
 * own fan-out. The token is sent as `authorization: Bearer ...` and never appears in errors.
 */
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { AdminClient, type ActorInfo, type ClusterStatus, type LeaveProgress, type MovePlan, type SearchResult } from '../../proto/gen/admin.js';

/** Deadline of one admin call, in ms. @default 5000 */
export const DEFAULT_ADMIN_CALL_TIMEOUT_MS = 5000;

/** Metadata key that asks a node to answer from its own view only (how a fan-out avoids fanning out again). */
export const SCOPE_METADATA_KEY = 'x-quarry-admin-scope';

export interface AdminCallOptions {
  timeoutMs?: number;
  /** Answer from the called node only. */
  local?: boolean;
}

export interface Admin {
  status(o?: AdminCallOptions): Promise<ClusterStatus>;
  join(seeds: string[], o?: AdminCallOptions): Promise<ClusterStatus>;
  drainPlan(o?: AdminCallOptions): Promise<MovePlan>;
  inspect(kind: string, key: string, o?: AdminCallOptions): Promise<ActorInfo>;
  search(kind: string, keyPrefix: string, limit: number, o?: AdminCallOptions): Promise<SearchResult>;
  /** Streams progress; `signal` cancels the call (the node aborts the leave). */
  leave(onProgress: (p: LeaveProgress) => void, signal?: AbortSignal, options?: { force?: boolean }): Promise<void>;
  close(): void;
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

export function adminClient(address: string, operatorToken: string): Admin {
  const client = new AdminClient(address, credentials.createInsecure());
  const meta = (o?: AdminCallOptions): Metadata => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${operatorToken}`);
    if (o?.local) m.set(SCOPE_METADATA_KEY, 'local');
    return m;
  };
  const deadline = (o?: AdminCallOptions) => ({ deadline: Date.now() + (o?.timeoutMs ?? DEFAULT_ADMIN_CALL_TIMEOUT_MS) });
  const unary = <Req, Res>(fn: (req: Req, m: Metadata, opts: object, cb: (e: ServiceError | null, r: Res) => void) => unknown, req: Req, o?: AdminCallOptions) =>
    new Promise<Res>((resolve, reject) => void fn.call(client, req, meta(o), deadline(o), (e, r) => (e ? reject(e) : resolve(r))));
  return {
    status: (o) => unary(client.status, {}, o),
    join: (seeds, o) => unary(client.join, { seeds }, o),
    drainPlan: (o) => unary(client.drainPlan, {}, o),
    inspect: (kind, key, o) => unary(client.inspect, { kind, key }, o),
    search: (kind, keyPrefix, limit, o) => unary(client.search, { kind, keyPrefix, limit }, o),
    leave(onProgress, signal, options) {
      return new Promise<void>((resolve, reject) => {
        const call = client.leave({ dryRun: false, force: options?.force ?? false }, meta());
        const onAbort = () => call.cancel();
        signal?.addEventListener('abort', onAbort, { once: true });
        call.on('data', (p: LeaveProgress) => onProgress(p));
        call.on('error', (e: ServiceError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        });
        call.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    close: () => client.close(),
  };
}

export { status as grpcStatus };
