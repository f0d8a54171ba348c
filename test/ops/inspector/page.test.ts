/**
 * The inspector page in real headless Chromium against a real single node: enter the operator token, search
 * player/alice, see its state, mailbox metrics and a recent message's diff; a new fix arrives live. Screenshot to
 * /work/team/inspector.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, waitText } from '../../gateway/web/support/browser.js';
import { OPERATOR_TOKEN, startAdminNode, type AdminNode } from '../admin/support/admin-node.js';

const SCREENSHOT = '/work/team/inspector.png';

describe('inspector page in headless Chromium (real node)', function () {
  this.timeout(60_000);
  let node: AdminNode;
  let browser: Browser;
  let page: Page | undefined;

  before(async () => {
    node = await startAdminNode('n1');
    await node.fix('alice', 1);
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
    await waitText(page, '#members tbody', /n1 \(this node\)alive.*100\.0 %.*player: 2/, 'member list');

    await page.fill('#search-query', 'player/al');
    await page.click('#search button');
    await waitText(page, '#results tbody', /player\/albert.*player\/alice/, 'search results for player/al');
    await page.click('text=player/alice');
    await waitText(page, '#actor-id', /player\/alice/, 'actor panel');
    await waitText(page, '#actor-metrics tr[data-metric="mailbox depth"]', /mailbox depth0/, 'mailbox depth');
    await waitText(page, '#actor-metrics tr[data-metric="messages handled"]', /messages handled1/, 'messages handled before the live fix');
    await waitText(page, '#actor-recent', /none recorded since/, 'recent messages before any message while inspected');
    const state = JSON.parse((await page.textContent('#actor-state'))!);
    assert.equal(typeof state, 'object');

    // Live: a fix handled on the node reaches the open panel without a reload.
    await node.fix('alice', 2);
    await waitText(page, '#actor-metrics tr[data-metric="messages handled"]', /messages handled2/, 'messages handled after the live fix');
    await waitText(page, '#actor-recent', /"clientSeq":2/, 'the live fix in recent messages with its diff');
    await waitText(page, '#actor-live', /live/, 'live badge');
    mkdirSync('/work/team', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
