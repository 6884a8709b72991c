import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, Result } from 'axe-core';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** An accessibility rule the page breaks, in a form worth printing. */
export interface Violation {
  page: string;
  rule: string;
  impact: Result['impact'];
  help: string;
  targets: string[];
}

/**
 * Runs axe-core's default rules (WCAG 2.x A and AA, best practices) on the page as it is now. The script is
 * evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
 * govern: the storefront keeps its strict policy while it is audited.
 */
export async function audit(page: Page, name: string): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run(),
  );
  // A broken injection or a blank page would pass every page; an audit must have checked something.
  if (results.passes.length === 0) throw new Error(`axe checked nothing on the ${name} page`);
  return results.violations.map((violation) => ({
    page: name,
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }));
}

/** The violations a shopper with a disability would be blocked or seriously hindered by. */
export const seriousOrCritical = (violations: Violation[]): Violation[] =>
  violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
