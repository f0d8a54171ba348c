/** Headless Chromium helpers shared by the page tests. */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** Debian's package puts it here; elsewhere set QUARRY_CHROMIUM_PATH (npm test's pretest step checks the same path). */
export const CHROMIUM_PATH = process.env.QUARRY_CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** How long one page condition may take: a few fix intervals (1 s each) plus a leaderboard refresh (5 s). */
export const PAGE_WAIT_MS = 15_000;

/** The one DOM call the tests run inside the page (the tests' own typings have no DOM). */
interface PageGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/** Waits until the element's text matches, or fails naming the phase, the expectation and what it showed. */
export async function waitText(page: Page, selector: string, expected: RegExp, phase: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, src]) => new RegExp(src!).test((globalThis as unknown as PageGlobals).document.querySelector(sel!)?.textContent ?? ''),
      [selector, expected.source],
      { timeout: PAGE_WAIT_MS },
    );
  } catch (err) {
    const seen = await page.locator(selector).textContent().catch(() => '(no element)');
    throw new Error(`${phase}: expected ${selector} to match ${expected}, saw ${JSON.stringify(seen)}`, { cause: err });
  }
}

/** Clicks the map exactly on a beacon's dot: the page walks the player there. */
export async function walkTo(page: Page, beaconId: string): Promise<void> {
  const box = await page.locator(`circle[data-beacon-id="${beaconId}"]`).boundingBox();
  assert.ok(box, `beacon ${beaconId} is drawn on the map`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}
