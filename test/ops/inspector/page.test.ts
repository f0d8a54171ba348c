import { join } from 'node:path';
import { tmpdir } from 'node:os';
/**
 * The inspector page in real headless Chromium against a real single node: enter the operator token, search
 * player/alice, see its state, mailbox metrics and a recent message's diff; a new fix arrives live. Screenshot to
 * $TMPDIR/quarry-inspector.png.
 */
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitText } from '../../gateway/web/support/browser.js';
import { OPERATOR_TOKEN, startAdminNode, type AdminNode } from '../admin/support/admin-node.js';

/** Where the screenshot goes (a person looks at it); QUARRY_SCREENSHOT_DIR overrides the temp folder. */
const SCREENSHOT = join(process.env.QUARRY_SCREENSHOT_DIR ?? tmpdir(), 'quarry-inspector.png');

describe('inspector page in headless Chromium (real node)', function () {
  this.timeout(60_000);
  let node: AdminNode;
  let browser: Browser;
  let page: Page | undefined;

  before(async () => {
    node = await startAdminNode('n1');
    await node.fix('albert', 1);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await node?.close();
  });

  it('a wrong token is refused; the right one shows members; search player/alice shows state and metrics live', async () => {
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(`${node.httpUrl}/inspector`);
    await page.fill('#token', 'not-the-operator-token');
    await page.click('#login button');
    await waitText(page, '#auth-status', /token rejected/, 'login with a wrong token');

    await page.fill('#token', OPERATOR_TOKEN);
    await page.click('#login button');
    await waitText(page, '#auth-status', /connected/, 'login with the operator token');
    await waitText(page, '#members tbody', /n1 \(this node\)alive.*100\.0 %.*player: 1/, 'member list');

    await page.fill('#search-query', 'player/al');
    await page.click('#search button');
    await waitText(page, '#results tbody', /player\/albert/, 'search results for player/al');
    await waitText(page, '#actor-metrics tr[data-metric="messages handled"]', /messages handled1/, 'the single result opens');

    // alice has not played yet: the open panel says so, and her first fix arrives live with its diff.
    await page.fill('#search-query', 'player/alice');
    await page.click('#search button');
    await waitText(page, '#actor-id', /player\/alice: .*not found/, 'panel for an actor that does not exist yet');
    await node.fix('alice', 1);
    await waitText(page, '#actor-id', /^player\/alice$/, 'panel after alice\'s first fix');
    await waitText(page, '#actor-metrics tr[data-metric="mailbox depth"]', /mailbox depth0/, 'mailbox depth');
    await waitText(page, '#actor-metrics tr[data-metric="messages handled"]', /messages handled1/, 'messages handled');
    await waitText(page, '#actor-recent', /"clientSeq":1.*~ score: 0 → [1-9]\d*/, "alice's first fix in recent messages with its score diff");
    await waitText(page, '#actor-state', /"score": [1-9]/, "alice's state");
    assert.equal(typeof JSON.parse((await page.textContent('#actor-state'))!), 'object');
    await waitText(page, '#actor-audit', /"type":"award".*"playerId":"alice"/, "alice's audit entries (committed with the fix)");
    await waitText(page, '#actor-live', /live/, 'live badge');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
