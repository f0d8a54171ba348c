/**
 * The actor inspector over HTTP: a page at /inspector and a read-only JSON API under /inspector/api/, every API
 * call behind the operator credential. Cluster-wide answers come from this node's own Admin service (which asks its
 * peers), so the inspector and `quarry` show the same thing.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ActorInfo } from '../../proto/gen/admin.js';
import { adminClient, isServiceError, type Admin } from '../admin/client.js';
import type { AdminTarget } from '../admin/target.js';
import { isOperator } from '../operator-auth.js';
import { startSnapshotStream } from './sse.js';

/** How often a live view re-reads what has no local change hook (other nodes' actors, members), in ms. @default 1000 */
export const DEFAULT_LIVE_POLL_MS = 1000;
/** Actors one search returns when the request names no limit. @default 100 */
export const DEFAULT_SEARCH_LIMIT = 100;

export interface InspectorHandler {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends live streams' polling and closes the admin channel. */
  close(): void;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/inspector': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inspector/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inspector/inspector.js': { file: 'inspector.js', type: 'text/javascript; charset=utf-8' },
  '/inspector/inspector.css': { file: 'inspector.css', type: 'text/css; charset=utf-8' },
};

export function createInspectorHandler(target: AdminTarget, operatorToken: string, options: { livePollMs?: number } = {}): InspectorHandler {
  const livePollMs = options.livePollMs ?? DEFAULT_LIVE_POLL_MS;
  let admin: Admin | undefined;
  const api = () => (admin ??= adminClient(target.adminAddress, operatorToken));
  const streams = new Set<() => void>();

  const handler = ((req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://inspector');
    const path = url.pathname;
    if (path !== '/inspector' && !path.startsWith('/inspector/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('the inspector is read-only');
      return true;
    }
    const asset = STATIC[path];
    if (asset !== undefined) {
      serveAsset(asset, req, res);
      return true;
    }
    if (!path.startsWith('/inspector/api/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return true;
    }
    if (!isOperator(req.headers.authorization, operatorToken)) {
      sendJson(res, 401, { error: 'operator credential required: send authorization: Bearer <ops.operatorToken>' }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    route(path.slice('/inspector/api'.length), url.searchParams, res).catch((err: unknown) => fail(res, err));
    return true;
  }) as InspectorHandler;

  async function route(path: string, q: URLSearchParams, res: ServerResponse): Promise<void> {
    const actorMatch = /^\/actor\/([^/]+)\/([^/]+)(\/events)?$/.exec(path);
    if (path === '/members') return sendJson(res, 200, await api().status());
    if (path === '/members/events') return live(res, () => api().status(), target.watchMembers?.bind(target));
    if (path === '/actors' || path === '/search') {
      const limit = Number(q.get('limit') ?? DEFAULT_SEARCH_LIMIT);
      if (!Number.isInteger(limit) || limit < 1) return sendJson(res, 400, { error: `limit must be a positive integer, got ${q.get('limit')}` });
      const node = q.get('node') ?? '';
      const result = await api().search(q.get('kind') ?? '', q.get('prefix') ?? q.get('key') ?? '', limit);
      const actors = result.actors.filter((a) => node === '' || a.node === node).map(summary);
      return sendJson(res, 200, { actors, unreachable: result.unreachable });
    }
    if (actorMatch) {
      const kind = decodeURIComponent(actorMatch[1]!);
      const key = decodeURIComponent(actorMatch[2]!);
      const read = async () => details(await api().inspect(kind, key));
      if (actorMatch[3] === undefined) return sendJson(res, 200, await read());
      return live(res, read, target.watchActor ? (cb) => target.watchActor!(kind, key, cb) : undefined);
    }
    sendJson(res, 404, { error: `no inspector API at ${path}` });
  }

  function live(res: ServerResponse, poll: () => Promise<unknown>, watch?: (cb: () => void) => () => void): void {
    const stream = startSnapshotStream(res, poll, livePollMs);
    const unwatch = watch?.(() => stream.nudge());
    const stop = () => {
      stream.stop();
      unwatch?.();
      streams.delete(stop);
    };
    streams.add(stop);
    res.on('close', stop);
  }

  handler.close = () => {
    for (const stop of [...streams]) stop();
    admin?.close();
    admin = undefined;
  };
  return handler;
}

function summary(a: ActorInfo) {
  return { node: a.node, kind: a.kind, key: a.key, active: a.active, mailboxDepth: a.mailboxDepth, messagesHandled: a.messagesHandled, lastActivityMs: a.lastActivityMs };
}

/** ActorInfo with its JSON fields parsed, as the page and `quarry inspect --json` show it. */
export function details(a: ActorInfo) {
  const parse = (s: string) => (s === '' ? null : JSON.parse(s));
  return {
    node: a.node, kind: a.kind, key: a.key, active: a.active, state: parse(a.stateJson),
    mailboxDepth: a.mailboxDepth, messagesHandled: a.messagesHandled, lastActivityMs: a.lastActivityMs,
    passivationDueMs: a.passivationDueMs, activationCount: a.activationCount, snapshotSeq: a.snapshotSeq,
    recent: parse(a.recentJson) ?? [], audit: parse(a.auditJson) ?? [],
  };
}

function serveAsset(asset: { file: string; type: string }, req: IncomingMessage, res: ServerResponse): void {
  let body: Buffer;
  try {
    body = readFileSync(new URL(`./static/${asset.file}`, import.meta.url));
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('inspector assets missing: run scripts/copy-assets.mjs');
    return;
  }
  res.writeHead(200, { 'content-type': asset.type, 'content-length': String(body.length), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(text);
}

const HTTP_OF_GRPC: Partial<Record<grpcStatus, number>> = {
  [grpcStatus.NOT_FOUND]: 404,
  [grpcStatus.INVALID_ARGUMENT]: 400,
  [grpcStatus.UNAUTHENTICATED]: 401,
  [grpcStatus.UNAVAILABLE]: 503,
  [grpcStatus.DEADLINE_EXCEEDED]: 504,
  [grpcStatus.FAILED_PRECONDITION]: 409,
};

function fail(res: ServerResponse, err: unknown): void {
  if (isServiceError(err)) return sendJson(res, HTTP_OF_GRPC[err.code] ?? 502, { error: err.details, grpcStatus: grpcStatus[err.code] });
  sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
}
