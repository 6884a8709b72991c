import { statSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';

/** Where the suite saves its screenshots (git-ignored; CI keeps them). */
export const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/** Saves a full-page screenshot and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the file is a non-empty PNG image. */
export function isPng(path: string): boolean {
  return (
    statSync(path).size > PNG_SIGNATURE.length &&
    readFileSync(path).subarray(0, 8).equals(PNG_SIGNATURE)
  );
}

/** The page's h1. */
export const heading = (page: Page, name: string | RegExp): Locator =>
  page.getByRole('heading', { level: 1, name });

/** Waits until the page shows the h1. */
export async function expectHeading(page: Page, name: string | RegExp): Promise<void> {
  await heading(page, name).waitFor();
}

/** Finds a product through the search box and opens its page. */
export async function openProduct(page: Page, name: string): Promise<void> {
  await page.getByRole('searchbox', { name: 'Search products' }).fill(name);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expectHeading(page, `Search results for “${name}”`);
  await page.getByRole('link', { name, exact: true }).click();
  await expectHeading(page, name);
}

/** The stock a product page shows ("18 in stock", "Only 3 left in stock", "Out of stock"). */
export async function shownStock(page: Page): Promise<number> {
  const note = page.getByText(/^(?:Only )?\d+ (?:left )?in stock$|^Out of stock$/);
  const text = (await note.textContent()) ?? '';
  const units = /(\d+)/.exec(text);
  return units ? Number(units[1]) : 0;
}

/**
 * Reloads the product page until it shows `expected` units: stock comes back asynchronously (the
 * product service releases a cancelled order's reservation when the order.cancelled event arrives).
 */
export async function waitForShownStock(
  page: Page,
  name: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stock = await shownStock(page);
    if (stock === expected || Date.now() > deadline) return stock;
    await page.reload();
    await expectHeading(page, name);
  }
}

/** The header's cart link, whose name says how many items the cart holds. */
export const cartLink = (page: Page): Locator =>
  page.getByRole('navigation', { name: 'Shop' }).getByRole('link', { name: /^Cart/ });

/** Waits until the order page shows the status (it polls the API by itself). */
export async function waitForOrderStatus(page: Page, status: string): Promise<void> {
  await page
    .getByRole('status')
    .filter({ hasText: `Status: ${status}` })
    .waitFor({ timeout: 45_000 });
}

/** The width the document is wider than the viewport by (0: no sideways scrolling). */
export const horizontalOverflow = (page: Page): Promise<number> =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
