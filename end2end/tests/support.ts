// Shared helpers: server URLs, console-error capture, screenshots, and reading a metric card.
import { expect, type Page, type Locator } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function serverUrl(
  name: 'E2E_DEMO_URL' | 'E2E_EMPTY_URL' | 'E2E_SSO_URL' | 'E2E_IDP_URL' | 'E2E_GITHUB_URL' | 'E2E_GITHUB_REST',
): string {
  const url = process.env[name];
  if (!url) throw new Error(`${name} is not set: run the suite through scripts/test.sh (make test)`);
  return url;
}

/** Collects console errors and uncaught page errors; call `check()` at the end of a test. */
export function watchConsole(page: Page) {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { check: () => expect(errors, 'browser console errors').toEqual([]) };
}

export async function screenshot(page: Page, name: string) {
  const dir = path.join(__dirname, '..', 'output');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** The metric keys of the DORA report, as the cards are named (data-test="card-<key>"). */
export const METRICS = [
  'deployment_frequency',
  'change_lead_time',
  'change_failure_rate',
  'recovery_time',
  'rework_rate',
] as const;
export type Metric = (typeof METRICS)[number];

/** The headline number of each metric in an API reply: the value the card's data-raw holds. */
export function headline(report: any, metric: Metric): number | null {
  switch (metric) {
    case 'deployment_frequency':
      return report.deployment_frequency.per_day;
    case 'change_lead_time':
      return report.change_lead_time.median;
    case 'change_failure_rate':
      return report.change_failure_rate.rate;
    case 'recovery_time':
      return report.recovery_time.median;
    case 'rework_rate':
      return report.rework_rate.rate;
  }
}

export function card(page: Page, metric: Metric): Locator {
  return page.locator(`[data-test="card-${metric}"]`);
}

/** The raw number a card shows (null for "No data"), once it has loaded. */
export async function cardRaw(page: Page, metric: Metric): Promise<number | null> {
  const value = card(page, metric).locator('[data-test="value"]');
  await expect(value).toBeVisible();
  const raw = await value.getAttribute('data-raw');
  expect(raw, `${metric} card has a data-raw attribute`).not.toBeNull();
  return raw === '' ? null : Number(raw);
}

export function expectSame(actual: number | null, expected: number | null, what: string) {
  if (expected === null) {
    expect(actual, what).toBeNull();
  } else {
    expect(actual, what).not.toBeNull();
    expect(actual as number, what).toBeCloseTo(expected, 6);
  }
}
