import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHuntMap } from '../../../gateway/web/hunt-map.js';
import { createWebHandler } from '../../../gateway/web/serve.js';
import { SMALL_HUNT } from './support/small-hunt.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Raw request (fetch would normalise `..` away before it reaches the server). */
function send(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('gateway/web serveWeb', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let fellThrough: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(dir, 'app.js'), 'console.log(1);');
    writeFileSync(join(dir, 'style.css'), 'body{}');
    writeFileSync(join(dir, 'app.js.map'), '{"version":3}');
    writeFileSync(join(dir, 'secret.txt'), 'not served');
    fellThrough = [];
    const serveWeb = createWebHandler({ hunt: SMALL_HUNT, staticDir: dir });
    server = createServer((req, res) => {
      if (serveWeb(req, res)) return;
      fellThrough.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page files with their content types, ignoring the query string', async () => {
    const table: Array<[string, string, string]> = [
      ['/', 'text/html; charset=utf-8', '<!doctype html><title>t</title>'],
      ['/index.html?player=alice&token=x.y.z', 'text/html; charset=utf-8', '<!doctype html><title>t</title>'],
      ['/app.js', 'text/javascript; charset=utf-8', 'console.log(1);'],
      ['/style.css', 'text/css; charset=utf-8', 'body{}'],
      ['/app.js.map', 'application/json; charset=utf-8', '{"version":3}'],
    ];
    for (const [path, type, body] of table) {
      const r = await send(port, 'GET', path);
      assert.deepEqual([r.status, r.headers['content-type'], r.body], [200, type, body], path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/, path);
    }
  });

  it('serves /hunt.json as the public map of the definition', async () => {
    const r = await send(port, 'GET', '/hunt.json');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(r.body), JSON.parse(JSON.stringify(toHuntMap(SMALL_HUNT))));
    assert.doesNotMatch(r.body, /rules|treasureId/);
  });

  it('answers HEAD with headers only and other methods with 405', async () => {
    const head = await send(port, 'HEAD', '/app.js');
    assert.deepEqual([head.status, head.headers['content-length'], head.body], [200, '15', '']);
    const post = await send(port, 'POST', '/hunt.json');
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
  });

  it('leaves every other path to the caller, including traversal attempts', async () => {
    const paths = ['/secret.txt', '/../secret.txt', '/%2e%2e/secret.txt', '/static/app.js', '/app.js/', '/APP.JS', '//app.js', '/index.html/..', '/quarry.hunt.v1.Hunt/ReportFix'];
    for (const path of paths) {
      const r = await send(port, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.notEqual(r.body, 'not served', path);
    }
    assert.deepEqual(fellThrough, paths);
  });

  it('says how to build app.js when it is missing', async () => {
    rmSync(join(dir, 'app.js'));
    const r = await send(port, 'GET', '/app.js');
    assert.deepEqual([r.status, r.body], [404, 'app.js not found in the web build (run npm run build)\n']);
  });
});
