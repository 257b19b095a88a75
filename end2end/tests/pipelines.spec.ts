// The pipelines pages on the demo organisation (their own bundle, /pipelines*): the runs list
// agrees with the API and its filters live in the URL; a run's page shows its attempts, its
// job timeline and its steps; a workflow's weeks and slowest jobs; the flaky jobs with their
// evidence, each a link to the attempt it names.
import { test, expect, type APIRequestContext } from '@playwright/test';
import { screenshot, serverUrl, watchConsole } from './support';

const DEMO = serverUrl('E2E_DEMO_URL');

async function api(request: APIRequestContext, path: string) {
  const res = await request.get(`${DEMO}${path}`);
  expect(res.status(), await res.text()).toBe(200);
  return res.json();
}

test('the runs list agrees with the API, and its filters change the URL and the rows', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/`);
  await page.getByTestId('nav-pipelines').click();
  await expect(page).toHaveURL(`${DEMO}/pipelines`);
  const rows = page.getByTestId('run-row');
  await expect(rows.first()).toBeVisible();
  // The page asks for the last 30 days; the API's count for them is the pager's.
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const all = await api(request, `/api/v1/pipelines/runs?from=${from.toISOString()}&to=${to.toISOString()}&per_page=1`);
  expect(all.total, 'the demo has runs in the last 30 days').toBeGreaterThan(200);
  await expect(page.locator('.pager')).toContainText(`of ${all.total}`);

  // Failures only: the URL carries it, every row is one, and their count is the API's.
  await page.getByTestId('filter-outcome').selectOption('failure');
  await expect(page).toHaveURL(/outcome=failure/);
  await expect(rows.first()).toHaveAttribute('data-outcome', 'failure');
  const failed = await api(request, `/api/v1/pipelines/runs?outcome=failure&from=${from.toISOString()}&to=${to.toISOString()}&per_page=500`);
  expect(failed.total).toBeGreaterThan(0);
  await expect(rows).toHaveCount(Math.min(failed.total, 50));
  for (const o of await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-outcome')))) expect(o).toBe('failure');

  // A team: only its repositories' runs.
  await page.getByTestId('filter-team').selectOption('search');
  await expect(page).toHaveURL(/team=search/);
  await expect(rows.first()).toContainText('acme/search-platform');
  await screenshot(page, 'pipelines-runs');
  console.check();
});

test("a run's page shows every attempt, its jobs on a timeline and their steps", async ({ page, request }) => {
  const console = watchConsole(page);
  // A re-run: its second attempt, whose first failed.
  const list = await api(request, '/api/v1/pipelines/runs?per_page=500&workflow=CI');
  const second = list.items.find((r: any) => r.attempt === 2);
  expect(second, 'the demo has a re-run among its CI runs').toBeTruthy();
  const detail = await api(request, `/api/v1/pipelines/runs/${encodeURIComponent(second.id)}`);
  await page.goto(`${DEMO}/pipelines/runs/${encodeURIComponent(second.id)}`);
  await expect(page.getByTestId('run-title')).toContainText(`${second.workflow} · ${second.repo}`);
  const attempts = page.getByTestId('attempt-row');
  await expect(attempts).toHaveCount(detail.attempts.length);
  await expect(attempts.first()).toContainText('failure');
  // One bar per job that started, and the queue lead-ins.
  const gantt = page.getByTestId('gantt');
  await expect(gantt.locator('svg')).toBeVisible();
  const started = detail.job_list.filter((j: any) => j.started_at).length;
  await expect(gantt.locator('rect.bar:not(.queue)')).toHaveCount(started);
  // A job opens to its steps, read from the store.
  const job = page.getByTestId('job').first();
  await job.locator('summary').click();
  await expect(job.getByTestId('step')).toHaveCount(detail.job_list[0].steps.length);
  await screenshot(page, 'pipelines-run');
  // The first attempt is one click away.
  await attempts.first().getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(encodeURIComponent(detail.attempts[0].id)));
  await expect(page.getByTestId('run-title')).toBeVisible();
  console.check();
});

test("a workflow's weeks and slowest jobs, and the flaky jobs with their evidence", async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/pipelines/workflows`);
  const wf = page.getByTestId('workflow-row');
  await expect(wf.first()).toBeVisible();
  const first = (await api(request, '/api/v1/pipelines/workflows')).workflows[0];
  const n = first.numbers;
  await expect(wf.first()).toContainText(String(n.success + n.failure + n.cancelled + n.skipped));
  await wf.first().getByTestId('workflow-pick').click();
  await expect(page).toHaveURL(/workflow=/);
  const trend = page.getByTestId('workflow-trend');
  await expect(trend.locator('svg').first()).toBeVisible();
  await expect(trend.getByTestId('slowest-jobs').locator('tbody tr').first()).toBeVisible();
  await expect(trend.getByTestId('slowest-steps').locator('tbody tr').first()).toBeVisible();
  await screenshot(page, 'pipelines-workflow');

  // The tab keeps the chosen repository and workflow: the API is asked with the same filters.
  await page.getByTestId('tab-flaky').click();
  await expect(page).toHaveURL(/\/pipelines\/flaky/);
  const kept = new URL(page.url()).searchParams;
  expect(kept.get('workflow'), 'the filters follow the tabs').toBe(first.workflow);
  const filters = ['repo', 'workflow'].map((k) => `${k}=${encodeURIComponent(kept.get(k) ?? '')}`).join('&');
  const flaky = await api(request, `/api/v1/pipelines/flaky-jobs?${filters}`);
  expect(flaky.jobs.length, 'the demo has flaky jobs').toBeGreaterThan(0);
  const row = page.getByTestId('flaky-row').first();
  await expect(row.getByTestId('flaky-occurrences')).toHaveText(String(flaky.jobs[0].occurrences));
  await row.click();
  const evidence = page.getByTestId('flaky-evidence').first();
  await expect(evidence.locator('li')).toHaveCount(Math.min(flaky.jobs[0].occurrences, 10));
  await screenshot(page, 'pipelines-flaky');
  await evidence.getByRole('link').first().click();
  await expect(page.getByTestId('run-title')).toBeVisible();
  await expect(page.getByTestId('attempt-row').first()).toContainText('failure');
  console.check();
});
