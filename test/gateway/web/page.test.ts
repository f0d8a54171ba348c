import { join } from 'node:path';
import { tmpdir } from 'node:os';
/**
 * The player page in real headless Chromium, against the real gRPC-web adapter and auth with the fake Hunt
 * behind them, whose test hooks reach what a real node rarely shows on demand: a lost event (gap indicator),
 * auth failures, missing URL parameters. page-real-node.test.ts plays the same walk against a real node.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HuntWebClient } from '../../../gateway/web/hunt-client.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitText, walkTo } from './support/browser.js';
import { startWebStack, type WebStack } from './support/web-stack.js';

/** Where the screenshot goes (a person looks at it); QUARRY_SCREENSHOT_DIR overrides the temp folder. */
const SCREENSHOT = join(process.env.QUARRY_SCREENSHOT_DIR ?? tmpdir(), 'quarry-page-fake-hunt.png');
const BUNDLE = fileURLToPath(new URL('../../../gateway/web/static/app.js', import.meta.url));

describe('gateway/web player page (Chromium)', function () {
  this.timeout(90_000);
  let stack: WebStack;
  let browser: Browser;
  const pages: Page[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: the build must run scripts/build-web.mjs after tsc`);
    stack = await startWebStack();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  after(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await stack?.close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    pages.push(page);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(url);
    return page;
  }

  const text = (page: Page, selector: string) => page.locator(selector).innerText();

  it('plays: walking to a beacon shows its points and the building treasure list, live changes arrive, screenshot', async () => {
    const hunt = stack.hunt;
    // A building with a treasure beacon for alice and another treasure beacon for bob.
    const treasureBeacons = hunt.beacons.filter((b) => b.rules.some((r) => r.type === 'treasure'));
    const aliceBeacon = treasureBeacons[0]!;
    const bobBeacon = treasureBeacons.find((b) => b.buildingId === aliceBeacon.buildingId && b.id !== aliceBeacon.id)!;
    assert.ok(bobBeacon, `sample hunt has two treasure beacons in building ${aliceBeacon.buildingId}`);
    const building = hunt.buildings.find((b) => b.id === aliceBeacon.buildingId)!;
    const visitPoints = (id: string) => hunt.beacons.find((b) => b.id === id)!.rules.flatMap((r) => (r.type === 'visitPoints' ? [r.firstVisitPoints] : []))[0] ?? 0;
    const aliceTreasure = building.treasures.find((t) => aliceBeacon.rules.some((r) => r.type === 'treasure' && r.treasureId === t.id))!;
    const bobTreasure = building.treasures.find((t) => bobBeacon.rules.some((r) => r.type === 'treasure' && r.treasureId === t.id))!;

    const page = await open(stack.pageUrl('alice', await stack.tokenFor('alice')));
    await waitText(page, '#conn-status', /^live$/, 'connect phase (alice)');
    assert.equal(await page.locator('circle.beacon').count(), hunt.beacons.length);
    assert.equal(await page.locator('.building').count(), hunt.buildings.length);
    assert.equal(await text(page, '#score'), '0');

    await walkTo(page, aliceBeacon.id);
    const points = visitPoints(aliceBeacon.id);
    await waitText(page, '#feed', new RegExp(`\\+${points} at ${aliceBeacon.id}`), `award phase (alice at ${aliceBeacon.id})`);
    await waitText(page, '#score', new RegExp(`^${points}$`), 'score phase');
    await waitText(page, '#closest-beacon', new RegExp(`^${aliceBeacon.id}$`), 'closest-beacon phase');
    await waitText(page, '#building-name', new RegExp(`^${building.name}$`), 'building phase');
    await waitText(page, `#treasure-list li[data-treasure-id="${aliceTreasure.id}"]`, /yours/, 'claim phase (alice)');
    const dotClasses = (await page.locator(`circle[data-beacon-id="${aliceBeacon.id}"]`).getAttribute('class'))?.split(' ').sort();
    assert.deepEqual(dotClasses, ['beacon', 'closest', 'visited']);

    // Bob, a phone without a page, claims another treasure of the same building: alice's list changes live.
    const bobToken = await stack.tokenFor('bob');
    const bob = new HuntWebClient({ baseUrl: stack.baseUrl, token: () => bobToken });
    const ack = await bob.reportFix({ playerId: 'bob', clientSeq: 1, clientTimeMs: Date.now(), readings: [{ beaconId: bobBeacon.id, rssiDbm: -60 }], gps: undefined });
    assert.deepEqual(ack.claimedTreasures, [bobTreasure.id]);
    const left = bobTreasure.capacity - 1;
    await waitText(page, `#treasure-list li[data-treasure-id="${bobTreasure.id}"]`, new RegExp(`${left} of ${bobTreasure.capacity} left`), 'live treasure-list phase (bob claimed)');
    await waitText(page, '#leaderboard', /bob/, 'leaderboard phase');
    await waitText(page, '#leaderboard', /alice/, 'leaderboard phase');

    // A lost event shows the gap indicator once the next event on that channel arrives.
    stack.fake.loseNextEvent('alice');
    await walkTo(page, bobBeacon.id);
    await waitText(page, '#gap-indicator', /events were missed \(once; last on user\.alice/, 'gap phase');

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  it('shows a clear message when the token is rejected (UNAUTHENTICATED)', async () => {
    const forged = await stack.tokenFor('mallory', 'some-other-secret-0123456789abcdefghijkl');
    const page = await open(stack.pageUrl('mallory', forged));
    await waitText(page, '#error-banner', /UNAUTHENTICATED/, 'forged-token phase');
    assert.match(await text(page, '#error-banner'), /quarry token issue --player mallory/);
    assert.equal(await page.locator('#conn-status').getAttribute('data-state'), 'failed');
  });

  it("shows PERMISSION_DENIED when the token is another player's", async () => {
    const page = await open(stack.pageUrl('carol', await stack.tokenFor('dave')));
    await waitText(page, '#error-banner', /PERMISSION_DENIED/, 'wrong-player phase');
  });

  it('asks for ?player and ?token when they are missing', async () => {
    const page = await open(`${stack.baseUrl}/`);
    await waitText(page, '#error-banner', /needs \?player=ID&token=JWT/, 'no-params phase');
  });
});
