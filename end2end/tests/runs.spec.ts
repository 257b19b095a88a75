// Runs started from the portal: a runbook's generated form, its live log, approvals by a member of
// the target's group, the audit trail, and what a viewer may not do.
//   E2E_DEMO_URL — local mode (one admin user) on the demo data, with the demo runbooks
//   E2E_SSO_URL  — the demo data behind a real OpenID provider (E2E_IDP_URL): Emil (engineer, team
//                  payments), Ada (admin, ada@example.com: in the demo's `production-approvers`),
//                  Vera (viewer)
import { test, expect, type Browser, type Page } from '@playwright/test';
import { screenshot, serverUrl, watchConsole } from './support';

const DEMO = serverUrl('E2E_DEMO_URL');
const SSO = serverUrl('E2E_SSO_URL');
const IDP = serverUrl('E2E_IDP_URL');

type Login = 'engineer' | 'admin' | 'viewer';

/** Signs in through the provider's own form (as sso.spec.ts does) and lands on `path`. */
async function signIn(page: Page, login: Login, path: string) {
  await page.goto(SSO + path);
  await page.waitForURL((u) => u.href.startsWith(`${IDP}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(`${login}-password`);
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.getByRole('button', { name: 'Continue' });
  const userMenu = page.getByTestId('user-menu');
  await expect(consent.or(userMenu).first()).toBeVisible();
  if (await consent.isVisible()) await consent.click();
  await expect(page.getByTestId('user-name')).toBeVisible();
}

/** A page of its own (its own cookies) for a second user. */
async function newUserPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  return context.newPage();
}

const RUN_URL = /\/runs\/[A-Za-z0-9_-]+$/;
const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out', 'rejected', 'expired'];

function runIdOf(page: Page): string {
  return new URL(page.url()).pathname.split('/').pop() ?? '';
}

/**
 * Remembers, in the page, the run's status and how many `check …` lines there were at the moment
 * the first `check …: HTTP 200` line appeared (the app moves from the form to the run without
 * reloading, so this survives).
 */
async function watchFirstLine(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    w.__firstLineStatus = null;
    w.__linesAtFirst = 0;
    const observer = new MutationObserver(() => {
      if (w.__firstLineStatus !== null) return;
      const lines = Array.from(document.querySelectorAll('[data-test="log-line"][data-stream="stdout"]'));
      const checks = lines.filter((l) => /check .*: HTTP 200/.test(l.textContent ?? ''));
      if (checks.length > 0) {
        w.__linesAtFirst = checks.length;
        w.__firstLineStatus = document.querySelector('[data-test="run-status"]')?.getAttribute('data-status') ?? 'none';
        observer.disconnect();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

test('the generated form of check-url starts a run whose log arrives live, then it succeeds', async ({ page }) => {
  const console = watchConsole(page);
  await page.goto(`${DEMO}/runs`);
  await expect(page.getByTestId('nav-runs')).toBeVisible();
  const card = page.locator('[data-test="target-card"][data-target="check-url"]');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('target-command')).toContainText('curl');
  await screenshot(page, 'runs-targets');
  await card.getByTestId('run-button').click();
  await expect(page).toHaveURL(`${DEMO}/runs/new/check-url`);

  // The form is generated from the inputs: a patterned text box and a bounded whole number.
  const url = page.getByTestId('input-url');
  await expect(url).toHaveAttribute('type', 'text');
  await expect(url).toHaveAttribute('maxlength', '200');
  await expect(url).toHaveAttribute('pattern', /127/);
  await expect(url).toHaveValue(/^http:\/\/127\.0\.0\.1:\d+\/readyz$/);
  const count = page.getByTestId('input-count');
  await expect(count).toHaveAttribute('type', 'number');
  await expect(count).toHaveAttribute('min', '1');
  await expect(count).toHaveAttribute('max', '20');
  await count.fill('4');
  await expect(page.getByTestId('summary-command')).toContainText('readyz?check=[1-4]');
  await screenshot(page, 'runs-form');

  await watchFirstLine(page);
  await page.getByTestId('run-submit').click();
  await page.waitForURL(RUN_URL);
  const firstLine = page
    .locator('[data-test="log-line"][data-stream="stdout"]')
    .filter({ hasText: /check .*: HTTP 200/ })
    .first();
  await expect(firstLine).toBeVisible();
  const whenFirst = await page.evaluate(() => (window as any).__firstLineStatus);
  expect(FINAL, `the first line came while the run was ${whenFirst}`).not.toContain(whenFirst);
  expect(['queued', 'running']).toContain(whenFirst);
  // Live, line by line: curl writes one every half second, so the first shows before the last.
  const atFirst = await page.evaluate(() => (window as any).__linesAtFirst);
  expect(atFirst, 'check lines already on the page when the first appeared').toBeLessThan(4);
  await screenshot(page, 'runs-run-live');

  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });
  await expect(status).toContainText('succeeded');
  await expect(page.getByTestId('run-exit-code')).toHaveText('0');
  const stdout = page.locator('[data-test="log-line"][data-stream="stdout"]');
  await expect(stdout).toHaveCount(4);
  await expect(stdout.filter({ hasText: /check .*: HTTP 200/ })).toHaveCount(4);
  await expect(page.getByTestId('log-count')).toHaveAttribute('data-stdout', '4');
  await expect(page.getByTestId('log-count')).toContainText('4 stdout');
  // Nagare's own lines (the command as run, the ending) are marked as such.
  await expect(page.locator('[data-test="log-line"][data-stream="system"]').first()).toContainText('curl');
  await expect(page.getByTestId('run-command')).toContainText('readyz?check=[1-4]');
  await screenshot(page, 'runs-run-done');

  // The run is listed on the runs page, linked to its page.
  const id = runIdOf(page);
  await page.getByTestId('back-to-portal-runs').click();
  const row = page.locator(`[data-test="portal-run-row"][data-run="${id}"]`);
  await expect(row).toHaveAttribute('data-status', 'succeeded');

  // The pipelines page's Run button opens the runs of its service; the service links to its page.
  await page.goto(`${DEMO}/pipelines?service=ledger`);
  await page.getByTestId('pipelines-run').click();
  await expect(page).toHaveURL(`${DEMO}/runs?service=ledger`);
  await expect(page.getByTestId('target-group')).toHaveCount(1);
  await expect(page.locator('[data-test="target-card"][data-target="disk-usage"]')).toBeVisible();
  await page.getByTestId('service-link').click();
  await expect(page).toHaveURL(`${DEMO}/services/ledger`);
  await expect(page.getByTestId('service-title')).toHaveText('ledger');
  await expect(page.getByTestId('service-teams')).not.toBeEmpty();
  await expect(page.locator('[data-test="target-card"][data-target="disk-usage"]').getByTestId('run-button')).toBeVisible();
  await screenshot(page, 'runs-service');
  console.check();
});

test.describe.serial('with single sign-on', () => {
  let smokeRun = '';
  let checkRun = '';

  test('Emil asks for a production smoke test; Ada, an approver, approves exactly what runs; it succeeds', async ({
    page,
    browser,
  }) => {
    const emilConsole = watchConsole(page);
    await signIn(page, 'engineer', '/runs');
    const card = page.locator('[data-test="target-card"][data-target="smoke-test-production"]');
    await expect(card.getByTestId('target-approval')).toContainText('Needs approval by any of production-approvers');
    await card.getByTestId('run-button').click();
    await expect(page).toHaveURL(`${SSO}/runs/new/smoke-test-production`);
    await expect(page.getByTestId('summary-approval')).toContainText('production-approvers');
    await expect(page.getByTestId('summary-approval')).toContainText('ada@example.com');
    await expect(page.getByTestId('run-submit')).toHaveText('Request approval');
    await page.getByTestId('input-count').fill('2');
    const reason = `e2e smoke test ${Date.now()}`;
    await page.getByTestId('run-reason').fill(reason);
    await page.getByTestId('run-submit').click();
    await page.waitForURL(RUN_URL);
    smokeRun = runIdOf(page);

    const status = page.getByTestId('run-status');
    await expect(status).toHaveAttribute('data-status', 'awaiting_approval');
    await expect(status).toContainText('awaiting approval');
    await expect(page.getByTestId('run-approval')).toContainText('production-approvers');
    await expect(page.getByTestId('approval-waiting-for')).not.toBeEmpty();
    // Her own request: no Approve button, and the page says why.
    await expect(page.getByTestId('own-request')).toBeVisible();
    await expect(page.getByTestId('approval-approve')).toHaveCount(0);
    await expect(page.getByTestId('log-empty')).toContainText('waits for approval');
    await screenshot(page, 'runs-awaiting-approval');

    // Ada, in the group, sees exactly what will run, and approves it.
    const ada = await newUserPage(browser);
    const adaConsole = watchConsole(ada);
    await signIn(ada, 'admin', '/approvals');
    const request = ada.locator(`[data-test="approval-card"][data-run="${smokeRun}"]`);
    await expect(request).toBeVisible();
    const asked = await (await ada.request.get(`${SSO}/api/v1/runs/${smokeRun}`)).json();
    expect(asked.command.length).toBeGreaterThan(1);
    expect(await request.locator('[data-test="run-argv"] li').allTextContents()).toEqual(asked.command);
    await expect(request.getByTestId('run-command')).toContainText('readyz?check=[1-2]');
    await expect(request.locator('[data-test="approval-inputs"] [data-input="count"]')).toHaveText('2');
    await expect(request.getByTestId('approval-requester')).toHaveText('Emil Engineer');
    await expect(request.getByTestId('approval-reason')).toHaveText(reason);
    await expect(request.getByTestId('approval-expires')).not.toBeEmpty();
    await screenshot(ada, 'runs-approvals');
    await request.getByTestId('approval-comment').fill('looks right');
    await request.getByTestId('approval-approve').click();
    await expect(request.getByTestId('approval-done')).toBeVisible();

    // Emil's page follows: the run starts and succeeds without a reload.
    await expect(status).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });
    await expect(page.getByTestId('run-exit-code')).toHaveText('0');
    await expect(page.locator('[data-test="approval-decision"][data-decision="approve"]')).toContainText('Ada Admin');
    await expect(page.locator('[data-test="log-line"][data-stream="stdout"]')).toHaveCount(2);
    await screenshot(page, 'runs-approved-done');
    emilConsole.check();
    adaConsole.check();
    await ada.context().close();
  });

  test('Ada finds each run requested, approved and finished in the audit log', async ({ page }) => {
    expect(smokeRun, 'the approval test ran first').not.toBe('');
    const console = watchConsole(page);
    // A second run, with no approval: Ada runs check-url from its form.
    await signIn(page, 'admin', '/runs/new/check-url');
    await page.getByTestId('input-count').fill('2');
    await page.getByTestId('run-submit').click();
    await page.waitForURL(RUN_URL);
    checkRun = runIdOf(page);
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });

    const expected: [string, string[]][] = [
      ['run_requested', [smokeRun, checkRun]],
      ['run_approved', [smokeRun]],
      ['run_finished', [smokeRun, checkRun]],
    ];
    await page.goto(`${SSO}/admin/audit`);
    for (const [action, runs] of expected) {
      await page.getByTestId('filter-action').selectOption(action);
      await expect(page).toHaveURL(new RegExp(`action=${action}`));
      for (const id of runs) {
        const row = page.locator(`[data-test="audit-row"][data-action="${action}"]`).filter({ hasText: `run ${id} ` });
        await expect(row, `${action} of ${id}`).toHaveCount(1);
      }
      if (action === 'run_approved') await screenshot(page, 'runs-audit');
    }
    console.check();
  });
});

test('Vera, a viewer, sees the targets but no Run button, and the API refuses her run', async ({ page }) => {
  await signIn(page, 'viewer', '/runs');
  const console = watchConsole(page);
  await expect(page.locator('[data-test="target-card"][data-target="check-url"]')).toBeVisible();
  await expect(page.getByTestId('target-card').first()).toBeVisible();
  await expect(page.getByTestId('run-button')).toHaveCount(0);
  await expect(page.getByTestId('view-only').first()).toBeVisible();
  await expect(page.getByTestId('nav-runs')).toBeVisible();
  await expect(page.getByTestId('nav-approvals')).toHaveCount(0);
  await screenshot(page, 'runs-viewer');

  const { csrf_token } = await (await page.request.get(`${SSO}/api/v1/session`)).json();
  const refused = await page.request.post(`${SSO}/api/v1/triggers/check-url/runs`, {
    headers: { 'x-csrf-token': csrf_token, origin: SSO },
    data: { inputs: { count: 1 } },
  });
  expect(refused.status(), await refused.text()).toBe(403);
  expect((await refused.json()).error).toBeTruthy();

  // Her form page says she may not start it, and has no form to send.
  await page.goto(`${SSO}/runs/new/check-url`);
  await expect(page.getByTestId('cannot-trigger')).toBeVisible();
  await expect(page.getByTestId('run-submit')).toHaveCount(0);
  console.check();
});
