/**
 * The player page in headless Chromium against a real Quarry node assembled in-process
 * (node/start-node.ts: LMDB in a temp dir, actor host with the hunt, in-process notifier, gRPC-web edge
 * serving the page): walk to a treasure beacon, see the points and the claim, see another player's claim
 * arrive live on the building's treasure list, zoomed in, screenshot to $TMPDIR/quarry-page.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { issuePlayerToken } from '../../../gateway/auth/index.js';
import { HuntWebClient } from '../../../gateway/web/hunt-client.js';
import type { QuarryNode } from '../../../node/index.js';
import { startRealNode } from '../support-real-node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitText, walkTo } from './support/browser.js';

const SECRET = 'page-real-node-token-secret-0123456789';
/** Where the screenshot goes (a person looks at it); QUARRY_SCREENSHOT_DIR overrides the temp folder. */
const SCREENSHOT = join(process.env.QUARRY_SCREENSHOT_DIR ?? tmpdir(), 'quarry-page.png');
const BUNDLE = fileURLToPath(new URL('../../../gateway/web/static/app.js', import.meta.url));
/** Fixes bob sends at most before the game's hysteresis confirms his beacon (3 by default). */
const MAX_BOB_FIXES = 10;

describe('gateway/web player page on a real node (Chromium)', function () {
  this.timeout(90_000);
  let dataDir: string;
  let node: QuarryNode;
  let browser: Browser;
  let page: Page | undefined;
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: the build must run scripts/build-web.mjs after tsc`);
    ({ node, dataDir } = await startRealNode('page-real-node', SECRET));
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await page?.close();
    await browser?.close();
    await node?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('walk to a treasure beacon: points and claim appear; another player claim arrives live; screenshot', async () => {
    const hunt = node.game.hunt;
    const baseUrl = `http://127.0.0.1:${node.edge.httpPort}`;
    const token = (playerId: string) => issuePlayerToken({ alg: 'HS256', secret: SECRET }, { playerId, ttlMinutes: 60 });
    const treasureOf = (beaconId: string) => hunt.beacons.find((b) => b.id === beaconId)!.rules.flatMap((r) => (r.type === 'treasure' ? [r.treasureId] : []))[0]!;
    const treasureBeacons = hunt.beacons.filter((b) => b.rules.some((r) => r.type === 'treasure'));
    const aliceBeacon = treasureBeacons[0]!;
    const bobBeacon = treasureBeacons.find((b) => b.buildingId === aliceBeacon.buildingId && treasureOf(b.id) !== treasureOf(aliceBeacon.id))!;
    assert.ok(bobBeacon, `sample hunt has two beacons with different treasures in ${aliceBeacon.buildingId}`);
    const building = hunt.buildings.find((b) => b.id === aliceBeacon.buildingId)!;
    const bobTreasure = building.treasures.find((t) => t.id === treasureOf(bobBeacon.id))!;

    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${baseUrl}/?player=alice&token=${encodeURIComponent(await token('alice'))}`);
    await waitText(page, '#own-rank', /^You/, 'leaderboard phase (alice, before walking)');
    assert.equal(await page.locator('circle.beacon').count(), hunt.beacons.length);

    // Zoom in around the player (3 steps of 1.5x), then walk by clicking the zoomed map.
    const viewWidth = async () => Number((await page!.locator('#map').getAttribute('viewBox'))!.split(' ')[2]);
    const fullWidth = await viewWidth();
    for (let i = 0; i < 3; i++) await page.locator('#zoom-in').click();
    const zoomedWidth = await viewWidth();
    assert.ok(Math.abs(zoomedWidth - fullWidth / 3.375) < 1e-6, `zoomed viewBox width ${zoomedWidth}, whole map ${fullWidth}`);
    await walkTo(page, aliceBeacon.id);
    await waitText(page, '#feed', new RegExp(`at ${aliceBeacon.id} \\(treasure:${treasureOf(aliceBeacon.id)}\\)`), `award phase (alice at ${aliceBeacon.id})`);
    await waitText(page, '#conn-status', /^live$/, 'stream phase');
    await waitText(page, '#closest-beacon', new RegExp(`^${aliceBeacon.id}$`), 'closest-beacon phase');
    await waitText(page, '#building-name', new RegExp(`^${building.name}$`), 'building phase');
    await waitText(page, `#treasure-list li[data-treasure-id="${treasureOf(aliceBeacon.id)}"]`, /yours/, 'claim phase (alice)');
    const score = Number(await page.locator('#score').innerText());
    assert.ok(score > 0, `score after the visit: ${score}`);

    // Bob, on a "phone" (our gRPC-web client in Node), claims another treasure of the same building.
    const bobToken = await token('bob');
    const bob = new HuntWebClient({ baseUrl, token: () => bobToken });
    const claimed: string[] = [];
    for (let seq = 1; seq <= MAX_BOB_FIXES && claimed.length === 0; seq++) {
      const ack = await bob.reportFix({ playerId: 'bob', clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: bobBeacon.id, rssiDbm: bobBeacon.txPowerDbm }], gps: undefined });
      claimed.push(...ack.claimedTreasures);
    }
    assert.deepEqual(claimed, [bobTreasure.id], `bob claims ${bobTreasure.id} within ${MAX_BOB_FIXES} fixes`);
    const left = bobTreasure.capacity - 1;
    await waitText(page, `#treasure-list li[data-treasure-id="${bobTreasure.id}"]`, new RegExp(`${left} of ${bobTreasure.capacity} left`), 'live treasure-list phase (bob claimed)');
    await waitText(page, '#leaderboard', /alice \(you\)/, 'leaderboard phase (after points)');

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
