// Cloud cost: the Costs page and the admins' Cost sources page against real servers.
//   E2E_COST_URL — a server with the real FOCUS sample (server/tests/fixtures/cost/focus_sample.csv,
//                  1000 rows, billing period 2024-09) imported; when unset, E2E_EMPTY_URL is read
//                  as that server
//   E2E_COST_SAMPLE — that sample file (default: the path above), read here independently
//   E2E_DEMO_URL — a server seeded with the demo organisation and its six months of cost (one
//                  anomaly, one untagged account)
//   E2E_EMPTY_URL — when it is not the cost server: a server with no cost at all
// The sample's September total is computed here from the CSV file itself, independently of Nagare;
// the page's numbers and its CSV download are compared with the API's JSON, digit for digit.
import { test, expect, type APIRequestContext, type Locator } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { screenshot, serverUrl, watchConsole } from './support';

const COST = process.env.E2E_COST_URL || serverUrl('E2E_EMPTY_URL');
const DEMO = serverUrl('E2E_DEMO_URL');
const EMPTY = serverUrl('E2E_EMPTY_URL');
const SEPTEMBER = `from=${encodeURIComponent('2024-09-01T00:00:00Z')}&to=${encodeURIComponent('2024-10-01T00:00:00Z')}`;
const DAY_MS = 86_400_000;

async function getJson(request: APIRequestContext, url: string) {
  const res = await request.get(url);
  expect(res.status(), `${url}: ${await res.text()}`).toBe(200);
  return res.json();
}

/**
 * The API's double, to within `ulps` units in the last place (1: the very number or its
 * neighbour). The app reads JSON with serde_json, whose default float parser may land one unit
 * in the last place off (its `float_roundtrip` feature makes it exact); nothing is rounded
 * beyond that, so a 1-cent or a 1e-9 slip fails.
 */
function expectAmount(actual: number, expected: number, what: string, ulps = 1) {
  expect(Number.isFinite(actual), `${what}: ${actual}`).toBe(true);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    Math.abs(expected) * Number.EPSILON * ulps,
  );
}

/** A value's exact number in `data-raw` (empty for none) is the API's. */
async function expectRaw(locator: Locator, v: number | null, what: string) {
  await expect(locator).toBeVisible();
  const raw = await locator.getAttribute('data-raw');
  if (v === null) expect(raw, what).toBe('');
  else expectAmount(Number(raw), v, what);
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF), as rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The CSV's rows as objects keyed by its header. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/** The FOCUS sample's rows, read from the file itself. */
function sampleRows(): Record<string, string>[] {
  const candidates = [
    process.env.E2E_COST_SAMPLE ?? '',
    path.join(__dirname, '..', '..', 'server', 'tests', 'fixtures', 'cost', 'focus_sample.csv'),
    path.join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'focus', 'focus_sample.csv'),
  ];
  const file = candidates.find((f) => f !== '' && fs.existsSync(f));
  if (!file) throw new Error(`the FOCUS sample is missing: looked for ${candidates.join(', ')}`);
  return records(fs.readFileSync(file, 'utf8'));
}

/** A cost column of a sample row as a number (the sample writes none as NULL). */
function amount(r: Record<string, string>, column: string): number {
  const v = Number(r[column]);
  expect(Number.isFinite(v), `${column} ${r[column]} of row ${r.Id}`).toBe(true);
  return v;
}

/** The sum of EffectiveCost over the sample's rows whose ChargePeriodStart is in September 2024. */
function septemberFromFixture(): { total: number; rows: number } {
  let total = 0;
  let rows = 0;
  for (const r of sampleRows()) {
    if (!r.ChargePeriodStart?.startsWith('2024-09')) continue;
    total += amount(r, 'EffectiveCost');
    rows++;
  }
  return { total, rows };
}

/** Per billing period (`YYYY-MM` of BillingPeriodStart): rows, billed and effective sums. */
function periodsFromFixture(): Map<string, { rows: number; billed: number; effective: number }> {
  const out = new Map<string, { rows: number; billed: number; effective: number }>();
  for (const r of sampleRows()) {
    const period = r.BillingPeriodStart.slice(0, 7);
    const p = out.get(period) ?? { rows: 0, billed: 0, effective: 0 };
    p.rows++;
    p.billed += amount(r, 'BilledCost');
    p.effective += amount(r, 'EffectiveCost');
    out.set(period, p);
  }
  return out;
}

test('the sample month: the total equals the API and the FOCUS file, and the CSV equals the API', async ({ page, request }) => {
  const console = watchConsole(page);
  const expected = septemberFromFixture();
  expect(expected.rows, 'September rows in the sample').toBe(1000);
  expect(expected.total).toBeGreaterThan(0);

  // A 30-day window is drawn by day, grouped by team, on the effective basis: the page's defaults.
  const api = await getJson(request, `${COST}/api/v1/costs?${SEPTEMBER}&interval=day`);
  expect(api.configured).toBe(true);
  expect(api.currency).toBe('USD');
  expect(api.from).toBe('2024-09-01');
  expect(api.to).toBe('2024-10-01');
  expect(Math.abs(api.total - expected.total), `API ${api.total} vs file ${expected.total}`).toBeLessThan(1e-9);

  await page.goto(`${COST}/costs?${SEPTEMBER}`);
  await expect(page.getByTestId('nav-costs')).toBeVisible();
  const total = page.getByTestId('cost-card-total').getByTestId('value');
  await expect(total).toBeVisible();
  await expectRaw(total, api.total, 'the total card');
  await expect(total).toContainText('USD');
  await expect(page.getByTestId('cost-window')).toContainText('2024-09-01 – 2024-09-30');
  const unallocated = page.getByTestId('cost-card-unallocated').getByTestId('value');
  // A ratio of two amounts read: within a few units in the last place.
  expectAmount(Number(await unallocated.getAttribute('data-raw')), api.unallocated / api.total, 'the unallocated share', 4);

  // The chart: one area per layer, one titled band per day.
  const chart = page.getByTestId('cost-chart');
  await expect(chart).toHaveAttribute('data-interval', 'day');
  await expect(chart.locator('svg[role="img"]')).toBeVisible();
  await expect(chart.locator('svg')).toContainText('Cost (USD)');
  // Every day through the last one with stored cost (the export's lag is not drawn as a drop).
  const drawn = api.series.buckets.filter((b: any) => b.start <= api.data_through).length;
  expect(drawn).toBe(30);
  await expect(chart.locator('[data-test="cost-bucket"]')).toHaveCount(drawn);
  await screenshot(page, 'costs-sample');

  // The CSV download: every group's total and every bucket's value, as the API sent them.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
  expect(download.suggestedFilename()).toBe('nagare-costs_2024-09-01_2024-10-01_team_effective.csv');
  const file = await download.path();
  const rows = records(fs.readFileSync(file, 'utf8'));
  // Compared in bulk (the sample has hundreds of groups × 30 days): each mismatch is listed.
  const within = (a: number, b: number) => Math.abs(a - b) <= Math.abs(b) * Number.EPSILON;
  const totals = rows.filter((r) => r.record === 'total');
  expect(totals.map((r) => r.group_key)).toEqual(api.groups.map((g: any) => g.key ?? ''));
  const badTotals = api.groups.flatMap((g: any, i: number) => {
    const r = totals[i];
    const ok =
      r.group_label === g.label &&
      within(Number(r.cost), g.total) &&
      within(Number(r.share_of_total), g.share) &&
      r.currency === 'USD' &&
      r.cost_basis === 'effective';
    return ok ? [] : [`${g.label}: ${JSON.stringify(r)} vs ${g.total}, ${g.share}`];
  });
  expect(badTotals, 'CSV totals that differ from the API').toEqual([]);
  const series = rows.filter((r) => r.record === 'series');
  expect(series.length).toBe(api.series.buckets.length * api.groups.length);
  const badSeries: string[] = [];
  let k = 0;
  for (const b of api.series.buckets) {
    for (const [i, g] of api.groups.entries()) {
      const r = series[k++];
      const ok =
        r.bucket_start === b.start &&
        r.group_key === (g.key ?? '') &&
        Number(r.bucket_days) === b.days &&
        within(Number(r.cost), b.values[i]);
      if (!ok) badSeries.push(`${g.label} on ${b.start}: ${JSON.stringify(r)} vs ${b.values[i]}`);
    }
  }
  expect(badSeries, 'CSV series rows that differ from the API').toEqual([]);
  // And the file adds up to the FOCUS file's own total.
  const sum = totals.reduce((s, r) => s + Number(r.cost), 0);
  expect(Math.abs(sum - expected.total)).toBeLessThan(1e-9);
  console.check();
});

test('a window with no cost says so; a server with no cost says how to configure it', async ({ page }) => {
  const console = watchConsole(page);
  await page.goto(`${COST}/costs?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`);
  await expect(page.getByTestId('empty-state')).toHaveAttribute('data-empty', 'filtered');
  await expect(page.getByTestId('empty-state')).toContainText('No cost matches these filters');
  if (COST !== EMPTY) {
    await page.goto(`${EMPTY}/costs`);
    await expect(page.getByTestId('empty-state')).toHaveAttribute('data-empty', 'not-configured');
    await expect(page.getByTestId('empty-state')).toContainText('No cost export is configured');
    await expect(page.getByTestId('empty-state')).toContainText('docs/cost.md');
  }
  console.check();
});

test('the demo: anomalies and unit costs as the API gives them, with contributors on demand', async ({ page, request }) => {
  const console = watchConsole(page);
  // The page's default window, written out: the 90 UTC days through today.
  const tomorrow = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
  const from = new Date(tomorrow - 90 * DAY_MS).toISOString().replace('.000Z', 'Z');
  const to = new Date(tomorrow).toISOString().replace('.000Z', 'Z');
  const window = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const report = await getJson(request, `${DEMO}/api/v1/costs?${window}&interval=day`);
  const anomalies = await getJson(request, `${DEMO}/api/v1/costs/anomalies?${window}`);
  const unit = await getJson(request, `${DEMO}/api/v1/costs/unit?${window}`);
  expect(anomalies.anomalies.length, 'the demo has an anomaly').toBeGreaterThan(0);
  expect(report.unallocated, 'the demo has an untagged account').toBeGreaterThan(0);
  expect(unit.services.length).toBeGreaterThan(0);

  await page.goto(`${DEMO}/costs?${window}`);
  const total = page.getByTestId('cost-card-total').getByTestId('value');
  await expect(total).toBeVisible();
  await expectRaw(total, report.total, 'the total card');
  await expectRaw(page.getByTestId('cost-card-forecast').getByTestId('value'), report.month.forecast, 'the forecast');
  await expectRaw(page.getByTestId('cost-card-month').getByTestId('value'), report.month.to_date, 'the month to date');
  await expectRaw(page.getByTestId('cost-card-last-month').getByTestId('value'), report.month.previous_month, 'last month');

  // The anomalies in the API's order, with the rule that judged them.
  const rows = page.getByTestId('anomaly-row');
  await expect(rows).toHaveCount(anomalies.anomalies.length);
  expect(await rows.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-day'), r.getAttribute('data-key')]))).toEqual(
    anomalies.anomalies.map((a: any) => [a.day, a.key ?? '']),
  );
  for (const [i, a] of anomalies.anomalies.entries()) {
    expectAmount(Number(await rows.nth(i).getAttribute('data-cost')), a.cost, `anomaly ${a.day} ${a.label}`);
    await expect(rows.nth(i).getByTestId('anomaly-z')).toHaveText(a.z.toFixed(1));
  }
  await expect(page.getByTestId('anomaly-rule')).toContainText(`|z| > ${anomalies.threshold}`);
  await expect(page.getByTestId('anomaly-rule')).toContainText(`trailing ${anomalies.baseline_days} days`);
  // Drill-down: the first anomaly's contributors, account and provider service.
  await rows.first().click();
  const contributors = page.getByTestId('contributor-row');
  await expect(contributors).toHaveCount(anomalies.anomalies[0].contributors.length);
  const top = anomalies.anomalies[0].contributors[0];
  await expect(contributors.first()).toHaveAttribute('data-account', top.account_id);
  await expect(contributors.first()).toHaveAttribute('data-service-name', top.service_name);

  // A row per service of the API, in its order, each with its DORA band.
  const units = page.getByTestId('unit-row');
  await expect(units).toHaveCount(unit.services.length);
  expect(await units.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-service')))).toEqual(
    unit.services.map((s: any) => s.service),
  );
  for (const [i, s] of unit.services.entries()) {
    expectAmount(Number(await units.nth(i).getAttribute('data-cost')), s.cost, `cost of ${s.service}`);
    await expect(units.nth(i).getByTestId('band')).toContainText(s.band ?? 'none');
  }
  if (unit.ci.configured) {
    await expectRaw(page.getByTestId('ci-per-minute'), unit.ci.per_minute, 'CI per minute');
    await expectRaw(page.getByTestId('ci-per-run'), unit.ci.per_run, 'CI per run');
  } else {
    await expect(page.getByTestId('ci-not-configured')).toBeVisible();
  }
  await screenshot(page, 'costs-demo');

  // Grouping by provider service is a URL change and asks the API for that grouping.
  await page.getByTestId('filter-group_by').selectOption('service_name');
  await expect(page).toHaveURL(/group_by=service_name/);
  const byService = await getJson(request, `${DEMO}/api/v1/costs?${window}&group_by=service_name&interval=day`);
  const costliest = byService.groups.find((g: any) => g.key !== null);
  await expect(page.getByTestId('cost-legend-item').filter({ hasText: costliest.label })).toHaveCount(1);
  await expect(page.getByTestId('cost-legend-item')).toHaveCount(
    Math.min(byService.groups.filter((g: any) => g.key !== null).length, 8) +
      (byService.groups.filter((g: any) => g.key !== null).length > 8 ? 1 : 0) +
      (byService.groups.some((g: any) => g.key === null) ? 1 : 0),
  );
  console.check();
});

test('the admins see each source and the imported billing period', async ({ page, request }) => {
  const console = watchConsole(page);
  const api = await getJson(request, `${COST}/api/v1/costs/sources`);
  // Each billing period of the file is stored whole: its rows and sums as the file has them.
  const expected = periodsFromFixture();
  expect([...expected.keys()].sort()).toContain('2024-09');
  for (const [period, want] of expected) {
    const got = api.periods.find((p: any) => p.billing_period === period);
    expect(got, `billing period ${period} is stored`).toBeTruthy();
    expect(got.state).toBe('ingested');
    expect(got.rows, `rows of ${period}`).toBe(want.rows);
    expect(got.skipped_rows).toBe(0);
    expect(Math.abs(got.effective - want.effective), `effective of ${period}`).toBeLessThan(1e-9);
    expect(Math.abs(got.billed - want.billed), `billed of ${period}`).toBeLessThan(1e-9);
  }
  const september = api.periods.find((p: any) => p.billing_period === '2024-09');

  await page.goto(`${COST}/admin/cost-sources`);
  const rows = page.getByTestId('cost-period-row');
  await expect(rows).toHaveCount(api.periods.length);
  const row = page.locator(`[data-test="cost-period-row"][data-period="2024-09"][data-source="${september.source}"]`);
  await expect(row.getByTestId('period-state')).toHaveAttribute('data-state', 'ingested');
  await expect(row.getByTestId('period-rows')).toHaveText(String(september.rows));
  await expectRaw(row.getByTestId('period-effective'), september.effective, 'effective of 2024-09');
  await expectRaw(row.getByTestId('period-billed'), september.billed, 'billed of 2024-09');
  await expect(page.getByTestId('cost-source-row')).toHaveCount(api.sources.length);
  await screenshot(page, 'cost-sources');
  console.check();
});
