// A small scenario, computed by hand, posted through the API into an empty database: the overview
// shows exactly the hand-computed values. The scenario is server/tests/fixtures/scenario.ndjson,
// the same file the server's own API test checks.
import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { card, cardRaw, expectSame, screenshot, serverUrl, watchConsole } from './support';

const EMPTY = serverUrl('E2E_EMPTY_URL');
const SCENARIO = fs.readFileSync(path.join(__dirname, '..', '..', 'server', 'tests', 'fixtures', 'scenario.ndjson'), 'utf8');
const WEEK = `from=${encodeURIComponent('2024-03-04T00:00:00Z')}&to=${encodeURIComponent('2024-03-11T00:00:00Z')}`;

test('a window with no data says so', async ({ page }) => {
  const console = watchConsole(page);
  // A window before any event of the scenario: nothing to count, whatever has been posted.
  await page.goto(`${EMPTY}/?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`);
  await expect(card(page, 'change_lead_time').getByTestId('value')).toHaveText(/no data/i);
  expect(await cardRaw(page, 'change_lead_time')).toBeNull();
  expect(await cardRaw(page, 'deployment_frequency')).toBe(0);
  await screenshot(page, 'overview-empty-window');
  console.check();
});

test('the hand-computed scenario shows its values', async ({ page, request }) => {
  const console = watchConsole(page);
  const lines = SCENARIO.trim().split('\n').length;
  const res = await request.post(`${EMPTY}/api/v1/events`, {
    headers: { 'content-type': 'application/x-ndjson' },
    data: SCENARIO,
  });
  expect(res.status(), await res.text()).toBe(200);
  const reply = await res.json();
  // Idempotent by key: a retry of this test updates instead of adding.
  expect(reply.accepted + reply.updated).toBe(lines);

  await page.goto(`${EMPTY}/?${WEEK}`);
  // Week [2024-03-04, 03-11): d1, d2, d3 (rollback), d4 succeeded in production, on 3 days.
  // Deployment frequency = 4 deployments / 7 days = 0.571428… per day; band high (3 days a week).
  expectSame(await cardRaw(page, 'deployment_frequency'), 4 / 7, 'deployments per day');
  await expect(card(page, 'deployment_frequency').getByTestId('band')).toHaveText(/high/i);
  // Lead times: c1 08:00→d1 12:00 = 4 h, c2 09:00→12:00 = 3 h, c3 10:00→d2 12:00 = 2 h,
  // c4 12:00→d4 14:00 = 2 h. Sorted [2, 2, 3, 4] h; interpolated median (2+3)/2 = 2.5 h = 9000 s.
  expectSame(await cardRaw(page, 'change_lead_time'), 2.5 * 3600, 'median lead time (s)');
  await expect(card(page, 'change_lead_time').getByTestId('value')).toContainText('2.5');
  await expect(card(page, 'change_lead_time').getByTestId('band')).toHaveText(/elite/i);
  // Failures: d2 (followed by rollback d3) and d4 (INC-1 at 15:00, within the window) = 2 of 4.
  expectSame(await cardRaw(page, 'change_failure_rate'), 2 / 4, 'change failure rate');
  await expect(card(page, 'change_failure_rate').getByTestId('value')).toContainText('50');
  await expect(card(page, 'change_failure_rate').getByTestId('band')).toHaveText(/low/i);
  // Recovery: d2 12:00 → rollback d3 13:00 = 1 h; d4 14:00 → INC-1 resolved 17:00 = 3 h.
  // Median (1+3)/2 = 2 h = 7200 s; band high (< 1 day).
  expectSame(await cardRaw(page, 'recovery_time'), 2 * 3600, 'median recovery (s)');
  await expect(card(page, 'recovery_time').getByTestId('band')).toHaveText(/high/i);
  // Rework: the rollback d3 is the one unplanned deployment of 4 = 25 %.
  expectSame(await cardRaw(page, 'rework_rate'), 1 / 4, 'rework rate');
  await expect(card(page, 'rework_rate').getByTestId('value')).toContainText('25');
  await screenshot(page, 'overview-scenario');

  // The deployments page lists the scenario's six production deployments (d0, d1, d2x, d2, d3, d4).
  await page.goto(`${EMPTY}/deployments?environment_tier=production`);
  await expect(page.getByTestId('deployment-row')).toHaveCount(6);
  // The incidents page lists INC-1 attributed to d4 with 3 h recovery, and INC-2 as excluded.
  await page.goto(`${EMPTY}/incidents`);
  const inc1 = page.getByTestId('incident-row').filter({ hasText: 'INC-1' });
  await expect(inc1).toContainText('d4');
  await expect(page.getByTestId('incident-row').filter({ hasText: 'INC-2' })).toContainText(/excluded/i);
  console.check();
});
