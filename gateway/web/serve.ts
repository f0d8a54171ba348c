/**
 * Serves the player page from the node's HTTP port, beside gRPC-web. A fixed table maps URL paths to files,
 * so no part of a request path ever reaches the file system (no traversal to guard against).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { toHuntMap, type HuntMapSource } from './hunt-map.js';

interface Asset {
  readonly file: string;
  readonly contentType: string;
}

const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/app.js', { file: 'app.js', contentType: 'text/javascript; charset=utf-8' }],
  // The bundle's source map, so browser devtools show the TypeScript sources.
  ['/app.js.map', { file: 'app.js.map', contentType: 'application/json; charset=utf-8' }],
  ['/style.css', { file: 'style.css', contentType: 'text/css; charset=utf-8' }],
]);

export const HUNT_JSON_PATH = '/hunt.json';

/** Default folder of the page's files: `static/` next to this module (in dist/, where the build puts app.js). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

export interface WebHandlerOptions {
  /** The hunt definition; only its public map (no rules) is served at /hunt.json. */
  readonly hunt: HuntMapSource;
  readonly staticDir?: string;
}

/** Returns true when it took the request (and will answer it); false to let the caller route it elsewhere. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const COMMON_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  // The page URL carries the player's token; never leak it to other sites in a Referer.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
} as const;

export function createWebHandler(options: WebHandlerOptions): WebHandler {
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const huntJson = Buffer.from(JSON.stringify(toHuntMap(options.hunt)));

  return function serveWeb(req, res) {
    const path = pathOf(req.url);
    const asset = ASSETS.get(path);
    if (asset === undefined && path !== HUNT_JSON_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...COMMON_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    if (asset === undefined) {
      send(req, res, 'application/json; charset=utf-8', huntJson);
      return true;
    }
    readFile(`${staticDir}/${asset.file}`).then(
      (body) => send(req, res, asset.contentType, body),
      (err: NodeJS.ErrnoException) => {
        const missing = err.code === 'ENOENT';
        res.writeHead(missing ? 404 : 500, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
        // app.js is produced by scripts/build-web.mjs; say so instead of a bare 404.
        res.end(missing ? `${asset.file} not found in the web build (run npm run build)\n` : 'internal error\n');
      },
    );
    return true;
  };
}

function send(req: IncomingMessage, res: ServerResponse, contentType: string, body: Buffer): void {
  res.writeHead(200, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
