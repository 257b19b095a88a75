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
  // The demo mirrors no repository: the git mirrors' panel says how to add one.
  await expect(page.getByTestId('mirrors').getByTestId('no-mirrors')).toContainText('[[sources.git.mirrors]]');

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
