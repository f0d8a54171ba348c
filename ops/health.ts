import type { IncomingMessage, ServerResponse } from 'node:http';

/** One condition of readiness; `ok` is read on every probe. */
export interface ReadinessCheck {
  readonly name: string;
  ok(): boolean;
}

/** Names of the checks that fail now; empty means ready. */
export function failingChecks(checks: readonly ReadinessCheck[]): string[] {
  return checks.filter((c) => !c.ok()).map((c) => c.name);
}

/**
 * Probes for a load balancer or Kubernetes (Akka Management's `/alive` and `/ready`): `GET /livez` is 200 while the
 * process answers at all (`/healthz` is its old name); `GET /readyz` is 200 only while every check holds, else 503
 * with the failing ones, so players are sent only to a node that serves them. No credential: they tell nothing secret.
 * Returns false for any other path.
 */
export function serveHealth(req: IncomingMessage, res: ServerResponse, checks: readonly ReadinessCheck[]): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (path === '/livez' || path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return true;
  }
  if (path !== '/readyz') return false;
  const failing = failingChecks(checks);
  res.writeHead(failing.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: failing.length === 0, failing }));
  return true;
}
