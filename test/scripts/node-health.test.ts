import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from '../../testing/nats.js';
import { httpGet, nodeSandbox } from './support/quarry-process.js';

/** Polls `url` until it answers `status`; fails naming `phase` and the last answer. */
async function waitStatus(phase: string, url: string, status: number, timeoutMs = 20_000): Promise<{ status: number; body: string }> {
  const until = Date.now() + timeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < until) {
    last = await httpGet(url);
    if (last.status === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${phase}: ${url} did not answer ${status} within ${timeoutMs} ms; last ${last.status} ${last.body}`);
}

describe('/livez, /healthz and /readyz on real nodes (issue 19, item 4)', function () {
  this.timeout(90_000);
  const box = nodeSandbox('quarry-health-', 'all');
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.close();
  });

  it('ready only while serving with quorum and the configured notifier connected; live all along', async () => {
    await nats.stop();
    const settings = { 'notify.backend': 'nats', 'notify.natsUrl': nats.url };
    const a = box.start('h1', { ...settings, 'node.dataDir': join(box.dir, 'h1') });
    const ra = await a.ready();
    for (const path of ['/livez', '/healthz']) assert.deepEqual(await httpGet(`${ra.httpUrl}${path}`), { status: 200, body: 'ok' }, path);
    const down = await httpGet(`${ra.httpUrl}/readyz`);
    assert.equal(down.status, 503, down.body);
    assert.deepEqual(JSON.parse(down.body), { ready: false, failing: ['notifier connected'] });

    await nats.start();
    assert.deepEqual(JSON.parse((await waitStatus('NATS back', `${ra.httpUrl}/readyz`, 200)).body), { ready: true, failing: [] });

    const b = box.start('h2', { ...settings, 'node.dataDir': join(box.dir, 'h2') }, {}, [ra.gossipAddress]);
    const rb = await b.ready();
    await waitStatus('h2 joined', `${rb.httpUrl}/readyz`, 200);
    // With h2 gone uncleanly, h1 sees 1 of its 2 agreed members: no quorum, not ready (but alive).
    b.kill('SIGKILL');
    await b.exited();
    const lost = await waitStatus('h1 without quorum', `${ra.httpUrl}/readyz`, 503);
    assert.deepEqual(JSON.parse(lost.body).failing, ['serving with quorum'], lost.body);
    assert.equal((await httpGet(`${ra.httpUrl}/livez`)).status, 200);
  });
});
