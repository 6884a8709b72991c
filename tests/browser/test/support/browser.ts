import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (apt package `chromium`); .ci/run installs it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless Chromium that makes no request of its own: this machine's network is closed. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A phone-sized viewport (iPhone 12–15 class) and a desktop one. */
export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  mobile: {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  },
} as const;

/** The devices the suite emulates. */
export type Device = keyof typeof VIEWPORTS;

/** A browser tab of the shop and everything that went wrong in it. */
export interface ShopTab {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions, failed requests and error responses, in order. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile (empty storage, so an empty cart and no session) on the storefront,
 * recording every console error, page error, failed request and HTTP error response.
 */
export async function openShopTab(
  browser: Browser,
  baseURL: string,
  device: Device = 'desktop',
): Promise<ShopTab> {
  const context = await browser.newContext({ ...VIEWPORTS[device], baseURL, locale: 'en-GB' });
  // Generous for a loaded 2-core machine; every wait is for a state the page reaches by itself.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'unknown';
    // The storefront cancels its own requests when the shopper leaves a page (a status poll in
    // flight, a list still loading); a cancelled request is not a failure.
    if (failure === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.method()} ${request.url()} (${failure})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { context, page, problems, close: () => context.close() };
}
