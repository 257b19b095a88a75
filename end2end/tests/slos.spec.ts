// SLOs on the demo organisation (three SLOs on demo services from pushed samples, and a checkout
// deployment that burned budget): the list in the API's order, an SLO's budget and its top
// deployment as the API gives them, the overview's at-risk strip, a deployment's SLOs, and an SLO
// made, edited and deleted through the form (local mode: the one user is an admin).
//   E2E_DEMO_URL — a server seeded with the demo organisation
import { test, expect, type APIRequestContext } from '@playwright/test';
import { screenshot, serverUrl, watchConsole } from './support';

const DEMO = serverUrl('E2E_DEMO_URL');
const DEMO_SLOS = ['checkout-availability', 'payments-latency', 'search-availability'];

async function getJson(request: APIRequestContext, path: string) {
  const res = await request.get(`${DEMO}${path}`);
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}

/** A remaining budget as the pages write it: one decimal and a spaced percent sign. */
function percentText(v: number): string {
  return `${v.toFixed(1)} %`;
}

/** The instant the API evaluated, for the page to ask the same (`?at=`). */
function atParam(at: string): string {
  return `at=${encodeURIComponent(at)}`;
}

test('the list shows every SLO in the API order, worst remaining budget first', async ({ page, request }) => {
  const console = watchConsole(page);
  const api = await getJson(request, '/api/v1/slos');
  const ids: string[] = api.slos.map((s: any) => s.id);
  for (const id of DEMO_SLOS) expect(ids, 'the demo SLOs').toContain(id);
  // The API sorts by remaining budget, worst first (no events last).
  const remaining: number[] = api.slos.map((s: any) => (s.budget ? s.budget.remaining_percent : Infinity));
  expect([...remaining].sort((a, b) => a - b)).toEqual(remaining);

  await page.goto(`${DEMO}/slos?${atParam(api.at)}`);
  await expect(page.getByTestId('nav-slos')).toBeVisible();
  const rows = page.getByTestId('slo-row');
  await expect(rows).toHaveCount(api.slos.length);
  expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-slo')))).toEqual(ids);
  for (const [i, s] of api.slos.entries()) {
    const row = rows.nth(i);
    await expect(row.getByTestId('slo-link')).toHaveText(s.name);
    await expect(row.getByTestId('alert-badge')).toHaveAttribute('data-alert', s.alert);
    if (s.budget) {
      const budget = row.getByTestId('budget');
      expect(Number(await budget.getAttribute('data-raw'))).toBeCloseTo(s.budget.remaining_percent, 9);
      await expect(row.getByTestId('budget-value')).toHaveText(percentText(s.budget.remaining_percent));
    }
    // Objectives in percent, burn rates with their unit.
    await expect(row).toContainText(`${+(s.objective * 100).toFixed(4)} %`);
    await expect(row.locator('td[data-burn="1h"]')).toContainText(/×|—/);
  }
  // Local mode: the one user is an admin.
  expect(api.can_edit).toBe(true);
  await expect(page.getByTestId('new-slo')).toBeVisible();
  await screenshot(page, 'slos-list');

  // The team filter lives in the URL and asks the API for that team.
  const team = api.slos.find((s: any) => s.id === 'checkout-availability')?.teams?.[0];
  if (team) {
    await page.getByTestId('filter-team').selectOption(team);
    await expect(page).toHaveURL(new RegExp(`team=${team}`));
    const mine = await getJson(request, `/api/v1/slos?team=${encodeURIComponent(team)}&${atParam(api.at)}`);
    await expect(rows).toHaveCount(mine.slos.length);
    expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-slo')))).toEqual(
      mine.slos.map((s: any) => s.id),
    );
  }
  console.check();
});

test('checkout-availability shows the API budget and ranks the burning deployment first', async ({ page, request }) => {
  const console = watchConsole(page);
  const at = (await getJson(request, '/api/v1/slos')).at;
  const api = await getJson(request, `/api/v1/slos/checkout-availability?${atParam(at)}`);
  expect(api.slo.budget, 'the demo checkout SLO has events').not.toBeNull();
  expect(api.deployments.length, 'deployments in the window').toBeGreaterThan(0);

  await page.goto(`${DEMO}/slos/checkout-availability?${atParam(at)}`);
  await expect(page.getByTestId('slo-title')).toHaveText(api.slo.name);
  const remaining = page.getByTestId('slo-remaining');
  await expect(remaining).toHaveText(percentText(api.slo.budget.remaining_percent));
  expect(Number(await remaining.getAttribute('data-raw'))).toBeCloseTo(api.slo.budget.remaining_percent, 9);
  await expect(page.getByTestId('slo-objective')).toHaveText(`${+(api.slo.objective * 100).toFixed(4)} %`);
  await expect(page.getByTestId('slo-title').locator('..').getByTestId('alert-badge')).toHaveAttribute(
    'data-alert',
    api.slo.alert,
  );

  // The charts: the SLI against its objective and the burn-down, each deployment marked.
  const sli = page.getByTestId('slo-sli-chart');
  await expect(sli.locator('svg[role="img"]')).toBeVisible();
  await expect(sli.locator('svg')).toContainText('SLI (%)');
  await expect(sli.locator('[data-test="deployment-marker"]').first()).toBeAttached();
  await expect(page.getByTestId('slo-burndown-chart').locator('svg[role="img"]')).toBeVisible();

  // The deployments, ranked as the API ranks them; the first one is the burning checkout deploy.
  // The first ten, then all of them on demand.
  const rows = page.getByTestId('slo-deployment-row');
  await expect(rows).toHaveCount(Math.min(api.deployments.length, 10));
  if (api.deployments.length > 10) {
    await page.getByTestId('slo-deployments-all').click();
    await expect(rows).toHaveCount(api.deployments.length);
  }
  expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-deployment')))).toEqual(
    api.deployments.map((d: any) => d.deployment),
  );
  const top = api.deployments[0];
  expect(top.rank).toBe(1);
  expect(top.excess_bad, 'the top deployment burned budget').toBeGreaterThan(0);
  await expect(rows.first()).toHaveAttribute('data-deployment', top.deployment);
  await expect(rows.first()).toHaveAttribute('data-rank', '1');
  await expect(page.getByTestId('slo-alerts').getByTestId('slo-alert-row')).toHaveCount(api.slo.alerts.length);
  await expect(page.getByTestId('download-openslo')).toHaveAttribute(
    'href',
    '/api/v1/slos/checkout-availability/openslo',
  );
  await screenshot(page, 'slos-detail');

  // The top deployment's page lists the SLOs it affected, checkout-availability among them.
  const mine = await getJson(request, `/api/v1/deployments/${encodeURIComponent(top.deployment)}/slos`);
  const affected = mine.slos.find((s: any) => s.id === 'checkout-availability');
  expect(affected, 'the deployment affected checkout-availability').toBeTruthy();
  await rows.first().getByTestId('slo-deployment-link').click();
  await page.waitForURL((u) => decodeURIComponent(u.pathname) === `/deployments/${top.deployment}`);
  await expect(page.getByTestId('deployment-title')).toHaveText(top.deployment);
  const section = page.getByTestId('deployment-slos');
  const row = section.locator('[data-test="deployment-slo-row"][data-slo="checkout-availability"]');
  await expect(row).toBeVisible();
  if (affected.burn) {
    await expect(row.getByTestId('deployment-slo-rank')).toHaveText(`${affected.burn.rank} of ${affected.ranked_of}`);
  }
  await screenshot(page, 'slos-deployment');
  console.check();
});

test('an unknown SLO says so', async ({ page }) => {
  await page.goto(`${DEMO}/slos/no-such-slo`);
  await expect(page.getByTestId('slo-not-found')).toBeVisible();
  await expect(page.getByTestId('slo-not-found')).toContainText('no-such-slo');
});

test('the overview shows the SLOs at risk as the API flags them', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/`);
  const api = await getJson(request, '/api/v1/slos');
  const risky: string[] = api.slos.filter((s: any) => s.at_risk).map((s: any) => s.id);
  if (risky.length > 0) {
    const strip = page.getByTestId('slo-strip');
    await expect(strip).toBeVisible();
    await expect(strip).toHaveAttribute('data-at-risk', String(risky.length));
    const shown = strip.getByTestId('slo-strip-item');
    await expect(shown).toHaveCount(Math.min(risky.length, 6));
    expect(await shown.evaluateAll((xs) => xs.map((x) => x.getAttribute('data-slo')))).toEqual(risky.slice(0, 6));
    await expect(strip).toContainText(`${risky.length} of ${api.slos.length} at risk`);
  } else {
    await expect(page.getByTestId('slo-strip-ok')).toContainText(`All ${api.slos.length} SLOs within budget`);
  }
  await screenshot(page, 'slos-overview-strip');
  console.check();
});

test('an admin makes an SLO in the form, edits it and deletes it', async ({ page, request }) => {
  const console = watchConsole(page);
  const id = `e2e-${Date.now()}`;
  await page.goto(`${DEMO}/slos`);
  await page.getByTestId('new-slo').click();
  await expect(page).toHaveURL(`${DEMO}/slos/new`);

  // Checked before sending: each problem at its field.
  await page.getByTestId('slo-id').fill('Not An Id');
  await page.getByTestId('slo-window-input').fill('fortnight');
  await page.getByTestId('slo-submit').click();
  await expect(page.getByTestId('slo-id-error')).not.toBeEmpty();
  await expect(page.getByTestId('slo-name-error')).not.toBeEmpty();
  await expect(page.getByTestId('slo-window-error')).toContainText('fortnight');

  await page.getByTestId('slo-id').fill(id);
  await page.getByTestId('slo-name').fill('E2E search latency');
  await page.getByTestId('slo-service-select').selectOption('search-api');
  await page.getByTestId('slo-objective-input').fill('99.5');
  await expect(page.getByTestId('slo-objective-preview')).toContainText('99.5 %');
  await page.getByTestId('slo-window-input').fill('7d');
  await page.getByTestId('slo-kind-pushed').check();
  await screenshot(page, 'slos-form');
  await page.getByTestId('slo-submit').click();

  await expect(page).toHaveURL(`${DEMO}/slos/${id}`);
  await expect(page.getByTestId('slo-title')).toHaveText('E2E search latency');
  await expect(page.getByTestId('slo-objective')).toHaveText('99.5 %');
  await expect(page.getByTestId('slo-origin')).toContainText('in the portal');
  const made = await getJson(request, `/api/v1/slos/${id}`);
  expect(made.slo.objective).toBe(0.995);
  expect(made.slo.sli).toEqual({ kind: 'pushed' });

  await page.getByTestId('slo-edit').click();
  await expect(page).toHaveURL(`${DEMO}/slos/${id}/edit`);
  await expect(page.getByTestId('slo-id')).toBeDisabled();
  await expect(page.getByTestId('slo-objective-input')).toHaveValue('99.5');
  await page.getByTestId('slo-name').fill('E2E search latency, renamed');
  await page.getByTestId('slo-submit').click();
  await expect(page).toHaveURL(`${DEMO}/slos/${id}`);
  await expect(page.getByTestId('slo-title')).toHaveText('E2E search latency, renamed');

  await page.getByTestId('slo-delete').click();
  await page.getByTestId('slo-delete-confirm').click();
  await expect(page).toHaveURL(`${DEMO}/slos`);
  await expect(page.locator(`[data-test="slo-row"][data-slo="${id}"]`)).toHaveCount(0);
  expect((await request.get(`${DEMO}/api/v1/slos/${id}`)).status()).toBe(404);
  console.check();
});
