// The demo organisation: every card agrees with the API for the same filters, filters live in the
// URL, and the deployments and incidents pages render their rows.
import { test, expect, type Page, type APIRequestContext } from '@playwright/test';
import { METRICS, card, cardRaw, expectSame, headline, screenshot, serverUrl, watchConsole } from './support';

const DEMO = serverUrl('E2E_DEMO_URL');

/** The 90 whole UTC days before today: an absolute window, so page and test ask the same thing. */
function window90() {
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const from = new Date(today.getTime() - 90 * 86_400_000);
  return { from: from.toISOString().replace('.000', ''), to: today.toISOString().replace('.000', '') };
}

async function dora(request: APIRequestContext, query: string) {
  const res = await request.get(`${DEMO}/api/v1/metrics/dora?${query}`);
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}

/** Waits until every card shows the API's headline number and band. */
async function expectCardsMatch(page: Page, api: any) {
  for (const m of METRICS) {
    const want = headline(api, m);
    await expect
      .poll(async () => {
        const got = await cardRaw(page, m);
        return want === null ? got === null : got !== null && Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want));
      }, { message: `${m} card shows the API's ${want}` })
      .toBe(true);
    const band = api[m].band;
    if (band) await expect(card(page, m).getByTestId('band')).toContainText(band, { ignoreCase: true });
  }
}

test('the five cards show the same numbers as the API, and filters change URL and numbers', async ({ page, request }) => {
  const console = watchConsole(page);
  const { from, to } = window90();
  const base = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

  await page.goto(`${DEMO}/?${base}`);
  await expect(page.getByTestId('local-mode-banner')).toBeVisible();
  const org = await dora(request, base);
  expect(org.deployment_frequency.deployments, 'the demo has deployments in the last 90 days').toBeGreaterThan(100);
  await expectCardsMatch(page, org);
  for (const m of METRICS) await expect(card(page, m).locator('svg').first()).toBeVisible();
  await screenshot(page, 'overview');

  // Team filter: the URL carries it, and the numbers are the team's.
  await page.getByTestId('filter-team').selectOption('legacy-billing');
  await expect(page).toHaveURL(/team=legacy-billing/);
  const legacy = await dora(request, `${base}&team=legacy-billing`);
  expect(legacy.change_lead_time.median, 'the low team differs from the whole org').not.toBe(org.change_lead_time.median);
  await expectCardsMatch(page, legacy);
  expect(legacy.change_lead_time.band).toBe('low');

  // Lead-time basis: merge → deploy, as GitLab measures it.
  await page.getByTestId('filter-basis').selectOption('merge');
  await expect(page).toHaveURL(/basis=merge/);
  await expectCardsMatch(page, await dora(request, `${base}&team=legacy-billing&lead_time_basis=merge`));

  // Benchmark table: the bands follow the 2021 report.
  await page.getByTestId('filter-benchmark').selectOption('dora-2021');
  await expect(page).toHaveURL(/benchmark=dora-2021/);
  await expectCardsMatch(page, await dora(request, `${base}&team=legacy-billing&lead_time_basis=merge&benchmark=dora-2021`));

  // The URL alone reproduces the view.
  const link = page.url();
  const fresh = await page.context().newPage();
  await fresh.goto(link);
  await expectCardsMatch(fresh, await dora(request, `${base}&team=legacy-billing&lead_time_basis=merge&benchmark=dora-2021`));
  await fresh.close();
  console.check();
});

test('a relative period asks the API for that many days', async ({ page }) => {
  const console = watchConsole(page);
  const asked = page.waitForRequest((r) => r.url().includes('/api/v1/metrics/dora') && !r.url().includes('interval='));
  await page.goto(`${DEMO}/?period=30d`);
  const url = new URL((await asked).url());
  const days = (Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!)) / 86_400_000;
  expect(days).toBeCloseTo(30, 0);
  await expect(page.getByTestId('filter-period')).toHaveValue('30d');
  console.check();
});

test('the deployments page lists deployments and expands one to its changes', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/deployments`);
  const rows = page.getByTestId('deployment-row');
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBeGreaterThan(5);

  // The first row is the newest production deployment the API lists.
  const api = await (await request.get(`${DEMO}/api/v1/deployments?environment_tier=production&per_page=1`)).json();
  const newest = api.items[0];
  await expect(rows.first()).toContainText(newest.service);
  await expect(rows.first()).toContainText(newest.sha.slice(0, 7));

  // Expanding a deployment with changes shows them.
  const withChanges = (await (await request.get(`${DEMO}/api/v1/deployments?environment_tier=production&per_page=50`)).json())
    .items.findIndex((d: any) => d.changes > 0);
  expect(withChanges).toBeGreaterThanOrEqual(0);
  const row = rows.nth(withChanges);
  await row.getByRole('button').first().click();
  await expect(page.getByTestId('change-row').first()).toBeVisible();
  await screenshot(page, 'deployments');
  console.check();
});

test('the incidents page lists incidents with attribution and recovery', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/incidents`);
  const rows = page.getByTestId('incident-row');
  await expect(rows.first()).toBeVisible();
  const api = await (await request.get(`${DEMO}/api/v1/incidents?per_page=1`)).json();
  expect(await rows.count()).toBeGreaterThan(1);
  await expect(rows.first()).toContainText(api.items[0].id);
  await expect(page.getByText('Open', { exact: true }).first()).toBeVisible();
  await screenshot(page, 'incidents');
  console.check();
});

test('the teams page shows every team with the API numbers, sorts, and opens a team overview', async ({ page, request }) => {
  const console = watchConsole(page);
  const { from, to } = window90();
  const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  await page.goto(`${DEMO}/teams?${q}`);
  const rows = page.getByTestId('team-row');
  await expect(rows.first()).toBeVisible();
  const res = await request.get(`${DEMO}/api/v1/metrics/dora/teams?${q}`);
  expect(res.status(), await res.text()).toBe(200);
  const api = await res.json();
  expect(api.teams.length, 'the demo has several teams').toBeGreaterThanOrEqual(3);
  // The window from the URL is shown as such, with what it is compared against.
  await expect(page.getByTestId('filter-period')).toHaveValue('custom');
  await expect(page.getByTestId('window')).toContainText('against the 90 days before');
  await expect(rows).toHaveCount(api.teams.length);

  // Sorted by team name first; each row's numbers are the API's.
  const names: string[] = api.teams.map((t: any) => t.display_name ?? t.team);
  await expect(rows.locator('th a')).toHaveText(names);
  for (const [i, t] of api.teams.entries()) {
    for (const m of METRICS) {
      const raw = await rows.nth(i).getByTestId(`cell-${m}`).getAttribute('data-raw');
      expectSame(raw === null ? null : Number(raw), headline(t.current, m), `${t.team} ${m}`);
    }
  }

  // Sorting by lead time puts the fastest team first, then reverses.
  const byLead = [...api.teams]
    .filter((t: any) => t.current.change_lead_time.median !== null)
    .sort((a: any, b: any) => a.current.change_lead_time.median - b.current.change_lead_time.median);
  await page.getByRole('button', { name: 'Change lead time', exact: true }).click();
  await expect(rows.first().locator('th a')).toHaveText(byLead[0].display_name ?? byLead[0].team);
  await expect(page.locator('th[aria-sort="ascending"]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Change lead time', exact: true }).click();
  await expect(page.locator('th[aria-sort="descending"]')).toHaveCount(1);
  await expect(rows.first().locator('th a')).toHaveText(byLead[byLead.length - 1].display_name ?? byLead[byLead.length - 1].team);
  await screenshot(page, 'teams');

  // A row opens the overview filtered to that team, over the same window.
  const slowest = byLead[byLead.length - 1].team;
  await rows.first().locator('td').first().click();
  await expect(page).toHaveURL(new RegExp(`/\\?team=${slowest}&from=`));
  await expect(page.getByTestId('filter-team')).toHaveValue(slowest);
  console.check();
});

test('the API reference opens from the nav and lists every operation of the document', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/`);
  await page.getByTestId('nav-api').click();
  await expect(page).toHaveURL(`${DEMO}/api/docs`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Nagare API reference');
  const doc = await (await request.get(`${DEMO}/api/v1/openapi.json`)).json();
  let operations = 0;
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of Object.keys(item)) {
      operations += 1;
      await expect(page.locator(`section.op h2:has-text("${path}")`).first(), `${method} ${path}`).toBeVisible();
    }
  }
  await expect(page.locator('section.op')).toHaveCount(operations);
  await expect(page.locator('section.schema')).toHaveCount(Object.keys(doc.components.schemas).length);
  await page.locator('#op-get-api-v1-deployments').scrollIntoViewIfNeeded();
  await screenshot(page, 'api-docs');
  console.check();
});

/** dora.dev's Quick Check answer (1–6) for a duration in seconds, as docs/metrics.md states it. */
function durationAnswer(s: number): number {
  const h = 3600, d = 86_400;
  return s < h ? 6 : s < d ? 5 : s < 7 * d ? 4 : s < 30 * d ? 3 : s < 182 * d ? 2 : 1;
}

test('DORA 2025: no bands, dora.dev scores against the chosen peers, in the URL', async ({ page, request }) => {
  const console = watchConsole(page);
  const { from, to } = window90();
  const base = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&team=checkout`;
  await page.goto(`${DEMO}/?${base}`);
  await expect(card(page, 'change_lead_time').getByTestId('band')).toBeVisible();
  await expect(page.getByTestId('filter-peers')).toHaveCount(0);

  await page.getByTestId('filter-benchmark').selectOption('dora-2025');
  await expect(page).toHaveURL(/benchmark=dora-2025/);
  const api = await dora(request, `${base}&benchmark=dora-2025`);
  const qc = api.quick_check;
  expect(qc.peers).toBe('industry:all');
  for (const m of METRICS) expect(api[m].band ?? null, `${m} has no band in 2025`).toBeNull();
  // The scores, recomputed here from the report's own numbers with dora.dev's formulas.
  const byAnswer = (a: number) => ((a - 1) / 5) * 10;
  expect(qc.change_lead_time.answer).toBe(durationAnswer(api.change_lead_time.median));
  expect(qc.change_lead_time.score).toBeCloseTo(byAnswer(durationAnswer(api.change_lead_time.median)), 9);
  if (api.recovery_time.median !== null) {
    expect(qc.recovery_time.score).toBeCloseTo(byAnswer(durationAnswer(api.recovery_time.median)), 9);
  }
  expect(qc.change_failure_rate.score).toBeCloseTo(10 - api.change_failure_rate.rate * 10, 9);
  expect(qc.rework_rate.score).toBeCloseTo(10 - api.rework_rate.rate * 10, 9);
  expect(qc.deployment_frequency.score).toBeCloseTo(byAnswer(qc.deployment_frequency.answer), 9);
  const scores = ['change_lead_time', 'deployment_frequency', 'recovery_time', 'change_failure_rate', 'rework_rate']
    .map((k) => qc[k].score)
    .filter((s) => s !== null);
  expect(qc.overall.score).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 9);

  // The page: the note that 2025 has no clusters, each card's score, the panel's rows.
  const panel = page.getByTestId('quick-check');
  await expect(panel.getByTestId('qc-no-clusters')).toContainText('no elite, high, medium and low clusters');
  await expect(panel.getByTestId('qc-peer')).toContainText('All industries');
  for (const m of METRICS) {
    await expect(card(page, m).getByTestId('band')).toHaveCount(0);
    const badge = card(page, m).getByTestId('qc-badge');
    if (qc[m].score === null) await expect(badge).toContainText('no value');
    else expect(Number(await badge.getAttribute('data-raw'))).toBeCloseTo(qc[m].score, 9);
  }
  for (const key of ['overall', 'throughput', 'stability', ...METRICS]) {
    const row = panel.locator(`[data-test="qc-row"][data-key="${key}"]`);
    await expect(row.locator('.qc-peers')).toHaveText(`${qc[key].peer_mean.toFixed(1)} ± ${qc[key].peer_sd.toFixed(1)}`);
    if (qc[key].score !== null) {
      expect(Number(await row.locator('.qc-score').getAttribute('data-raw'))).toBeCloseTo(qc[key].score, 9);
    }
  }

  // Another peer group: the URL carries it, and the peers' numbers follow.
  await page.getByTestId('filter-peers').selectOption('size:fewer_than_5000');
  await expect(page).toHaveURL(/peers=size%3Afewer_than_5000|peers=size:fewer_than_5000/);
  await expect(panel.getByTestId('qc-peer')).toContainText('1,000 to 4,999 employees');
  const sized = (await dora(request, `${base}&benchmark=dora-2025&peers=size:fewer_than_5000`)).quick_check;
  expect(sized.overall.score).toBeCloseTo(qc.overall.score, 9);
  await expect(panel.locator('[data-test="qc-row"][data-key="overall"] .qc-peers')).toHaveText(
    `${sized.overall.peer_mean.toFixed(1)} ± ${sized.overall.peer_sd.toFixed(1)}`,
  );
  await screenshot(page, 'dora-2025');

  // Back to the 2024 clusters: the bands return, the peers leave the URL.
  await page.getByTestId('filter-benchmark').selectOption('dora-2024');
  await expect(page).not.toHaveURL(/peers=/);
  await expect(page.getByTestId('quick-check')).toHaveCount(0);
  await expect(card(page, 'change_lead_time').getByTestId('band')).toBeVisible();
  console.check();
});
