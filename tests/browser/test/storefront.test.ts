import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_CUSTOMERS } from '@mercato/contracts/demo';
import { startTogether } from '@mercato/harness';
import type { Browser, Page } from 'playwright-core';
import { audit, seriousOrCritical, type Violation } from './support/axe.js';
import { launchBrowser, openShopTab, type Device, type ShopTab } from './support/browser.js';
import {
  cartLink,
  expectHeading,
  horizontalOverflow,
  isPng,
  openProduct,
  screenshot,
  shownStock,
  waitForOrderStatus,
  waitForShownStock,
} from './support/journey.js';
import { startShopUnderTest, TRACE_UI_URL, type ShopUnderTest } from './support/shop.js';

const ORDER_HEADING = /^Order [0-9A-F]{8}$/;

describe('the storefront in Chromium, against the whole shop', () => {
  let shop: ShopUnderTest;
  let browser: Browser;
  const tabs: ShopTab[] = [];

  const openTab = async (device: Device = 'desktop') => {
    const tab = await openShopTab(browser, shop.url, device);
    tabs.push(tab);
    return tab;
  };

  beforeAll(async () => {
    // Both start at once; if one fails, the other is stopped before the failure is reported.
    [shop, browser] = await startTogether([
      { start: startShopUnderTest(), stop: (started) => started.stop() },
      { start: launchBrowser(), stop: (launched) => launched.close() },
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const tab of tabs) await tab.close().catch(() => undefined);
    await browser?.close();
    await shop?.stop();
  }, 60_000);

  /** Adds a product from its own page, with the quantity field. */
  async function addFromProductPage(page: Page, name: string, quantity: number) {
    await openProduct(page, name);
    await addToCart(page, name, quantity);
  }

  /** On the product's page (already open): the quantity, "Add to cart", and its confirmation. */
  async function addToCart(page: Page, name: string, quantity: number) {
    await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${quantity} × ${name} added` })
      .waitFor();
  }

  /** Checks out the cart with a test card and lands on the new order's page. */
  async function checkOut(page: Page, card: RegExp) {
    await cartLink(page).click();
    await expectHeading(page, 'Your cart');
    await page.getByRole('button', { name: 'Proceed to checkout' }).click();
    await expectHeading(page, 'Checkout');
    await page.getByRole('radio', { name: card }).check();
    await page.getByRole('button', { name: /^Place order/ }).click();
    await expectHeading(page, ORDER_HEADING);
  }

  /**
   * The journey of acceptance criteria 1 and 2: browse, fill the cart, sign in on the way to
   * checkout, pay with the success card (PAID), then order again with the decline card
   * (CANCELLED) and see the stock come back.
   */
  async function shoppingJourney(
    device: Device,
    products: { first: string; second: string; category: string },
    customerId: string,
  ) {
    const { page, problems } = await openTab(device);
    const screenshots: string[] = [];

    // Browse: the catalog, a category, a product page.
    await page.goto('/');
    await expectHeading(page, 'All products');
    await page.getByRole('link', { name: products.first, exact: true }).waitFor();
    screenshots.push(await screenshot(page, `${device}-catalog`));
    await page
      .getByRole('navigation', { name: 'Categories' })
      .getByRole('link', { name: new RegExp(`^${products.category}`, 'i') })
      .click();
    await expectHeading(page, new RegExp(`^${products.category}$`, 'i'));
    await page.getByRole('link', { name: products.first, exact: true }).click();
    await expectHeading(page, products.first);
    const stockBefore = await shownStock(page);
    expect(stockBefore).toBeGreaterThan(2);

    // Two products: one from its page, one from a catalog card.
    await addToCart(page, products.first, 1);
    await page.getByRole('searchbox', { name: 'Search products' }).fill(products.second);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expectHeading(page, `Search results for “${products.second}”`);
    await page.getByRole('button', { name: `Add to cart: ${products.second}` }).click();
    await cartLink(page).filter({ hasText: '2 items' }).waitFor();

    // The cart survives a reload.
    await page.reload();
    await cartLink(page).filter({ hasText: '2 items' }).waitFor();
    await cartLink(page).click();
    await expectHeading(page, 'Your cart');
    const lines = page.getByRole('region', { name: 'Items in your cart' }).getByRole('listitem');
    expect(await lines.count()).toBe(2);
    screenshots.push(await screenshot(page, `${device}-cart`));

    // Checkout asks to sign in first, then comes back.
    await page.getByRole('button', { name: 'Proceed to checkout' }).click();
    await expectHeading(page, 'Sign in');
    expect(await page.getByRole('radio').count()).toBe(DEMO_CUSTOMERS.length);
    await page.getByRole('radio', { name: new RegExp(customerId) }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectHeading(page, 'Checkout');
    await page.getByRole('radio', { name: /payment succeeds/ }).check();
    await page.getByRole('button', { name: /^Place order/ }).click();

    // The order page follows the saga by itself, without a reload.
    await expectHeading(page, ORDER_HEADING);
    const paidOrder = (await page.getByRole('heading', { level: 1 }).textContent())!;
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await waitForOrderStatus(page, 'Paid');
    expect(await page.evaluate(() => 'sameDocument' in window)).toBe(true);
    await cartLink(page).filter({ hasText: '0 items' }).waitFor();
    screenshots.push(await screenshot(page, `${device}-order`));

    // The sale took one unit.
    await openProduct(page, products.first);
    expect(await shownStock(page)).toBe(stockBefore - 1);

    // A declined card cancels the order and gives the reserved unit back.
    await addToCart(page, products.first, 1);
    await checkOut(page, /declined/);
    await waitForOrderStatus(page, 'Cancelled');
    await page.getByText('The payment was declined by the card issuer.').waitFor();
    await openProduct(page, products.first);
    expect(await waitForShownStock(page, products.first, stockBefore - 1)).toBe(stockBefore - 1);

    // The history lists both orders, newest first.
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await expectHeading(page, 'Your orders');
    const history = page.getByRole('main').getByRole('listitem');
    await history.nth(1).waitFor();
    expect(await history.count()).toBe(2);
    expect(await history.nth(0).textContent()).toContain('Cancelled');
    expect(await history.nth(1).textContent()).toContain('Paid');

    // A paid order can be cancelled, which refunds it.
    await history.nth(1).getByRole('link', { name: paidOrder }).click();
    await expectHeading(page, paidOrder);
    await page.getByRole('button', { name: 'Cancel and refund' }).click();
    await waitForOrderStatus(page, 'Refunded');
    await page.getByText('This order was cancelled and the payment refunded.').waitFor();
    expect(await page.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);

    return { page, problems, screenshots };
  }

  it('desktop: browse, add two products, pay (PAID), get declined (CANCELLED, stock restored)', async () => {
    const { problems } = await shoppingJourney(
      'desktop',
      { first: 'Stoneware Mug', second: 'Oak Cutting Board', category: 'kitchen' },
      'demo-bob',
    );
    expect(problems).toEqual([]);
  }, 180_000);

  it('phone, 390 px wide: the same journey, without sideways scrolling; screenshots saved', async () => {
    const { page, problems, screenshots } = await shoppingJourney(
      'mobile',
      { first: 'Wool Throw Blanket', second: 'Dot-Grid Notebook A5', category: 'home' },
      'demo-carol',
    );
    expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
    expect(await horizontalOverflow(page)).toBe(0);
    expect(screenshots.map((path) => path.split('/').pop())).toEqual([
      'mobile-catalog.png',
      'mobile-cart.png',
      'mobile-order.png',
    ]);
    for (const path of screenshots) expect(isPng(path)).toBe(true);
    expect(problems).toEqual([]);
  }, 180_000);

  it('has no serious or critical accessibility violations (axe-core) on the pages of a purchase', async () => {
    const { page, problems } = await openTab('desktop');
    const violations: Violation[] = [];

    await page.goto('/');
    await expectHeading(page, 'All products');
    await page.getByRole('link', { name: 'Cedar Soy Candle', exact: true }).waitFor();
    violations.push(...(await audit(page, 'catalog')));

    // Keyboard: the first Tab reaches "Skip to content", which moves past the header.
    await page.keyboard.press('Tab');
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    expect(await focusedText()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.getByRole('button', { name: 'Add to cart: Cedar Soy Candle' }).focus();
    await page.keyboard.press('Enter');
    await cartLink(page).filter({ hasText: '1 item' }).waitFor();

    await addFromProductPage(page, 'Cedar Soy Candle', 2);
    violations.push(...(await audit(page, 'product')));
    await cartLink(page).filter({ hasText: '3 items' }).waitFor();

    await cartLink(page).click();
    await expectHeading(page, 'Your cart');
    violations.push(...(await audit(page, 'cart')));

    await page.getByRole('button', { name: 'Proceed to checkout' }).click();
    await expectHeading(page, 'Sign in');
    violations.push(...(await audit(page, 'sign-in')));
    await page.getByRole('button', { name: 'Continue as guest' }).click();
    await expectHeading(page, 'Checkout');
    violations.push(...(await audit(page, 'checkout')));

    await page.getByRole('radio', { name: /insufficient funds/ }).check();
    await page.getByRole('button', { name: /^Place order/ }).click();
    await expectHeading(page, ORDER_HEADING);
    violations.push(...(await audit(page, 'order, awaiting payment')));
    await waitForOrderStatus(page, 'Cancelled');
    await page.getByText('The card has insufficient funds.').waitFor();
    violations.push(...(await audit(page, 'order, cancelled')));

    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await expectHeading(page, 'Your orders');
    await page.getByRole('main').getByRole('listitem').first().waitFor();
    violations.push(...(await audit(page, 'order history')));

    const blocking = seriousOrCritical(violations);
    if (blocking.length > 0) console.error(JSON.stringify(blocking, null, 2));
    expect(blocking).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);

  it('shows a traced order’s trace id on its page, linked to the trace UI, as a support reference', async () => {
    const { page, problems } = await openTab('desktop');
    // A browser (or a proxy in front of the shop) that samples its requests sends a traceparent;
    // the order placed under it keeps that trace's id.
    const traceId = '5c0ffee0d15ea5e0123456789abcdef0';
    await page.setExtraHTTPHeaders({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await page.goto('/');
    await expectHeading(page, 'All products');
    await addFromProductPage(page, 'Stoneware Mug', 1);
    await cartLink(page).click();
    await expectHeading(page, 'Your cart');
    await page.getByRole('button', { name: 'Proceed to checkout' }).click();
    await expectHeading(page, 'Sign in');
    await page.getByRole('radio', { name: /demo-alice/ }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectHeading(page, 'Checkout');
    await page.getByRole('radio', { name: /payment succeeds/ }).check();
    await page.getByRole('button', { name: /^Place order/ }).click();
    await expectHeading(page, ORDER_HEADING);

    const reference = page.getByText('Support reference (trace):');
    await reference.waitFor();
    const link = reference.getByRole('link', { name: traceId });
    expect(await link.getAttribute('href')).toBe(`${TRACE_UI_URL}/trace/${traceId}`);
    expect(problems).toEqual([]);
  }, 60_000);

  describe('error states', () => {
    it('a quantity above the stock is flagged in the cart and blocks checkout', async () => {
      const { page, problems } = await openTab('mobile');
      await page.goto('/');
      await expectHeading(page, 'All products');
      await addFromProductPage(page, 'Cast-Iron Teapot', 1);
      const stock = await shownStock(page);
      await cartLink(page).click();
      await expectHeading(page, 'Your cart');

      const quantity = page.getByLabel('Quantity of Cast-Iron Teapot');
      await quantity.fill(String(stock + 1));
      await page
        .getByText(`Only ${stock} left in stock. Lower the quantity to check out.`)
        .waitFor();
      expect(await quantity.getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByRole('button', { name: 'Proceed to checkout' }).isDisabled()).toBe(
        true,
      );

      await quantity.fill(String(stock));
      await page
        .getByRole('button', { name: 'Proceed to checkout' })
        .and(page.locator(':enabled'))
        .waitFor();
      expect(await quantity.getAttribute('aria-invalid')).toBeNull();
      expect(problems).toEqual([]);
    }, 60_000);

    // What a retry meets when the gateway's half-open circuit lets the products call through as
    // its one trial and turns the categories call away: the products load, the categories must too.
    it('a category list turned away while the products load is asked for again', async () => {
      const { page, problems } = await openTab('desktop');
      let categoryCalls = 0;
      await page.route('**/api/v1/categories*', async (route) => {
        categoryCalls += 1;
        if (categoryCalls > 1) return route.continue();
        await route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'about:blank',
            title: 'Service Unavailable',
            status: 503,
            detail: 'The product service is unavailable.',
          }),
        });
      });
      await page.goto('/');
      await expectHeading(page, 'All products');
      await page.getByRole('link', { name: 'Stoneware Mug', exact: true }).waitFor();
      await page
        .getByRole('navigation', { name: 'Categories' })
        .getByRole('link', { name: /^Kitchen/ })
        .waitFor();
      expect(categoryCalls).toBe(2);
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(problems).toEqual([
        expect.stringMatching(/^HTTP 503: GET .*\/api\/v1\/categories$/),
        expect.stringMatching(/^console error: Failed to load resource: .* 503/),
      ]);
    }, 60_000);

    // Last: it takes the product service away (and brings it back).
    it('the catalog service being down shows a clear error and a working "Try again"', async () => {
      await shop.stopProductService();
      const { page, problems } = await openTab('desktop');
      await page.goto('/');
      await expectHeading(page, 'All products');
      const alert = page.getByRole('alert');
      await alert.filter({ hasText: 'We could not load the products.' }).waitFor();
      expect(await alert.textContent()).toContain(
        'Part of the shop is unavailable right now. Please try again in a moment.',
      );
      await shop.restartProductService();
      // The gateway reconnects and its circuit closes within a second or two; until then a retry
      // shows the same error again.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const [response] = await Promise.all([
          page.waitForResponse((candidate) => candidate.url().includes('/api/v1/products?')),
          page.getByRole('button', { name: 'Try again' }).click(),
        ]);
        if (response.ok()) break;
        if (Date.now() > deadline) throw new Error('the catalog did not come back after retries');
      }
      await page.getByRole('link', { name: 'Stoneware Mug', exact: true }).waitFor();
      await page.getByRole('navigation', { name: 'Categories' }).waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);

      // The only problems were the failed catalog calls themselves.
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems)
        expect(problem).toMatch(
          /^HTTP 503: GET .*\/api\/v1\/(products|categories)|^console error: Failed to load resource: the server responded with a status of 503/,
        );
    }, 90_000);
  });
});
