// The Sources page (administration's own bundle, /admin/*): GitHub's recorded payloads
// (core/tests/fixtures/github, octokit/webhooks, MIT) signed here and posted to the demo
// server, then seen on the page as the API reports them: health, verdicts, the unmapped
// repository with its rule, the deliveries list and a payload, and a replay.
import { test, expect } from '@playwright/test';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serverUrl, watchConsole, screenshot } from './support';

const DEMO = serverUrl('E2E_DEMO_URL');
const SECRET = process.env.E2E_GITHUB_SECRET ?? '';
const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'tests', 'fixtures', 'github', `${name}.payload.json`), 'utf8');

test('the Sources page shows deliveries as GitHub sends them, their payloads, and replays them', async ({ page, request }) => {
  expect(SECRET, 'E2E_GITHUB_SECRET (scripts/test.sh)').not.toEqual('');
  const console = watchConsole(page);
  for (const [event, id, body] of [
    ['ping', 'e2e-1', fixture('ping')],
    ['workflow_run', 'e2e-2', fixture('workflow_run.completed')],
    ['deployment_status', 'e2e-3', fixture('deployment_status')],
  ]) {
    const signature = 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex');
    const r = await request.post(`${DEMO}/hooks/github`, {
      data: body,
      headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': signature },
    });
    expect(r.status(), `${event}: ${await r.text()}`).toBeLessThan(300);
  }
  const api = await (await request.get(`${DEMO}/api/v1/sources`)).json();
  const github = api.find((s: any) => s.name === 'github');

  // From the portal's nav into the administration's bundle.
  await page.goto(`${DEMO}/`);
  await page.getByTestId('nav-sources').click();
  await expect(page).toHaveURL(`${DEMO}/admin/sources`);
  const card = page.locator('[data-test="source-card"][data-source="github"]');
  await expect(card).toContainText('connected');
  await expect(card.getByTestId('source-url')).toHaveText(`${DEMO}/hooks/github`);
  await expect(card).toContainText('Workflow jobs');
  for (const v of ['accepted', 'ignored', 'unmapped']) {
    await expect(card.locator(`li[data-verdict="${v}"]`)).toContainText(String(github.verdicts[v]));
  }
  await expect(card.getByTestId('unmapped-hint')).toContainText('Codertocat/Hello-World');
  await expect(card.getByTestId('unmapped-hint')).toContainText('[[sources.github.repos]]');
  // The rules as configured: the demo's four repositories, and the defaults elsewhere.
  const rules = page.getByTestId('rules');
  await expect(rules.getByTestId('rules-repos')).toContainText('acme/checkout-web');
  await expect(rules).toContainText('No detection rule');
  // The demo mirrors no repository: the git mirrors' panel says how to add one, and has no
  // sync button. It has no GitHub API access: the backfill says what to configure.
  await expect(page.getByTestId('mirrors').getByTestId('no-mirrors')).toContainText('[[sources.git.mirrors]]');
  await expect(page.getByTestId('mirrors').getByTestId('task-start')).toHaveCount(0);
  await expect(page.getByTestId('backfill').getByTestId('task-unavailable')).toContainText('token_file');

  // The newest delivery first; expanded, its payload.
  const rows = page.getByTestId('delivery-row');
  await expect(rows.first()).toContainText('deployment_status');
  await expect(rows.first()).toContainText('unmapped');
  await rows.first().getByRole('button').click();
  await expect(page.getByTestId('payload')).toContainText('"full_name": "Codertocat/Hello-World"');
  await screenshot(page, 'sources');

  // A verdict filter goes to the URL and the list.
  await page.getByTestId('filter-verdict').selectOption('ignored');
  await expect(page).toHaveURL(/verdict=ignored/);
  await expect(rows.first()).toContainText('ping');

  // Replaying the source says what it did.
  await card.getByTestId('replay').click();
  await expect(card.getByTestId('replayed')).toContainText('Replayed');
  console.check();
});

// The server "github" of scripts/test.sh: GitHub's REST API is a stand-in on loopback
// (end2end/github/rest.mjs, recorded objects moved into the last days), and its one repository
// is mirrored from a git repository the script made with three commits; the two deployments
// shipped the first and the last.
const GITHUB = serverUrl('E2E_GITHUB_URL');
const REST = serverUrl('E2E_GITHUB_REST');

test('a backfill and a mirror sync started from the Sources page fill the portal', async ({ page, request }) => {
  const console = watchConsole(page);
  await page.goto(`${GITHUB}/admin/sources`);
  const backfill = page.getByTestId('backfill');
  await expect(backfill.getByTestId('no-backfill')).toBeVisible();
  await backfill.getByTestId('filter-backfill-since').selectOption('30d');
  await backfill.getByTestId('filter-backfill-repo').selectOption('Codertocat/Hello-World');
  await backfill.getByTestId('task-start').click();
  const line = backfill.getByTestId('task-line');
  await expect(line).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(line).toContainText('asked by local');
  await expect(line).toContainText('1 repository');
  // Every phase done; no compare phase: the mirror has the exact commits.
  const phases = backfill.getByTestId('backfill-phase');
  await expect(phases).toHaveCount(4);
  for (const phase of ['deployments', 'runs', 'pulls', 'issues:incident']) {
    await expect(backfill.locator(`[data-test="backfill-phase"][data-phase="${phase}"]`)).toContainText('done');
  }
  // GitHub was asked as it must be: the token, the media type, the API version, a User-Agent.
  const seen: { path: string; problems: string[] }[] = await (await request.get(`${REST}/_seen`)).json();
  expect(seen.filter((s) => s.problems.length > 0)).toEqual([]);
  expect(seen.some((s) => s.path.startsWith('/repos/Codertocat/Hello-World/actions/runs?'))).toBeTruthy();
  expect(seen.some((s) => s.path.includes('/compare/'))).toBeFalsy();
  // Once done, the source's counts and the deliveries list show what it stored, kept raw.
  const sources = await (await request.get(`${GITHUB}/api/v1/sources`)).json();
  const accepted = sources.find((s: any) => s.name === 'github').verdicts.accepted;
  expect(accepted).toBeGreaterThan(0);
  await expect(page.locator('[data-test="source-card"][data-source="github"] li[data-verdict="accepted"]')).toContainText(String(accepted));
  await expect(page.getByTestId('delivery-row').first()).toContainText('backfill:');

  // Sync now: the mirror fetched again, the task done.
  const mirrors = page.getByTestId('mirrors');
  await expect(mirrors.locator('[data-test="mirror"]')).toContainText('synced');
  await mirrors.getByTestId('task-start').click();
  await expect(mirrors.getByTestId('task-line')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(mirrors.getByTestId('task-line')).toContainText('Codertocat/Hello-World: 0 new commits');
  await expect(mirrors.locator('[data-test="mirror"]')).toContainText('3');
  await screenshot(page, 'sources-backfill');

  // What the backfill brought is in the portal: the two deployments, the newer one's two
  // changes read from the mirror (the commits after the older deployment's).
  await page.goto(`${GITHUB}/deployments?service=hello`);
  const rows = page.getByTestId('deployment-row');
  await expect(rows).toHaveCount(2);
  await rows.first().click();
  await expect(page.getByTestId('change-row')).toHaveCount(2);
  console.check();
});
