// Single sign-on against a real OpenID provider (npm oidc-provider, end2end/oidc/provider.mjs), both
// started by scripts/test.sh:
//   E2E_IDP_URL — the provider (issuer), with its own interactive login form and three accounts
//   E2E_SSO_URL — a Nagare server on the demo data whose [auth] points at it; roles and teams come
//                 from the groups claim (platform-admins → admin, team-payments → engineer + team
//                 payments, dev-viewers → viewer)
// Every sign-in goes through the provider's real form: no shortcut past it.
import { test, expect, type Page, type APIResponse, type APIRequestContext } from '@playwright/test';
import { screenshot, serverUrl, watchConsole } from './support';

const SSO = serverUrl('E2E_SSO_URL');
const IDP = serverUrl('E2E_IDP_URL');
const START = '/deployments?environment_tier=production';

const USERS = {
  viewer: { name: 'Vera Viewer', role: 'viewer', teams: [] as string[] },
  engineer: { name: 'Emil Engineer', role: 'engineer', teams: ['payments'] },
  admin: { name: 'Ada Admin', role: 'admin', teams: [] as string[] },
} as const;
type Login = keyof typeof USERS;

/**
 * Opens `path` on the SSO server without a session: the server sends the page request to
 * /auth/login, which redirects to the provider. Fills the provider's login form, accepts its
 * consent screen if shown, and waits until the app is back with the user menu.
 */
async function signIn(page: Page, login: Login, path = START) {
  await page.goto(SSO + path);
  await page.waitForURL((u) => u.href.startsWith(`${IDP}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(`${login}-password`);
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The provider's consent step ("Continue") comes at the same /interaction/ URL; wait for it or
  // for the app, whichever shows up.
  const consent = page.getByRole('button', { name: 'Continue' });
  const userMenu = page.getByTestId('user-menu');
  await expect(consent.or(userMenu).first()).toBeVisible();
  if (await consent.isVisible()) await consent.click();
  await expect(page.getByTestId('user-name')).toBeVisible();
}

function sessionCookie(setCookie: string | undefined): boolean {
  return /(^|\n|,\s*)nagare_session=[^;\s]+/.test(setCookie ?? '');
}

function setCookieOf(res: APIResponse): string {
  return res
    .headersArray()
    .filter((h) => h.name.toLowerCase() === 'set-cookie')
    .map((h) => h.value)
    .join('\n');
}

for (const login of Object.keys(USERS) as Login[]) {
  const user = USERS[login];

  test(`${login} signs in through the provider's form and lands back on the page asked for`, async ({ page }) => {
    // From the first request: the whole way through the provider and back is free of console errors.
    const console = watchConsole(page);
    await signIn(page, login);
    await expect(page).toHaveURL(SSO + START);
    await expect(page.getByTestId('user-name')).toHaveText(user.name);
    await expect(page.getByTestId('user-role')).toHaveText(user.role);
    for (const team of user.teams) await expect(page.getByTestId('user-teams')).toContainText(team);

    const session = await page.request.get(`${SSO}/api/v1/session`);
    expect(session.status(), await session.text()).toBe(200);
    const info = await session.json();
    expect(info).toMatchObject({ user: login, role: user.role, name: user.name, local_mode: false, sees_all_teams: true });
    expect(info.teams).toEqual(user.teams);
    expect(info.csrf_token).toBeTruthy();
    // The session cookie is HttpOnly and SameSite=Lax (not Secure: this is plain http on loopback).
    const cookie = (await page.context().cookies(SSO)).find((c) => c.name === 'nagare_session');
    expect(cookie, 'nagare_session cookie').toBeTruthy();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');

    if (login === 'admin') await screenshot(page, 'sso-user-menu');
    console.check();
  });

  test(`${login} sees the navigation of the ${user.role} role`, async ({ page }) => {
    await signIn(page, login, '/');
    const console = watchConsole(page);
    for (const link of ['nav-overview', 'nav-deployments', 'nav-incidents']) {
      await expect(page.getByTestId(link)).toBeVisible();
    }
    if (login === 'admin') {
      await expect(page.getByTestId('nav-tokens')).toBeVisible();
      await expect(page.getByTestId('nav-audit')).toBeVisible();
      await expect(page.getByTestId('nav-tokens')).toHaveAttribute('href', '/admin/tokens');
      await expect(page.getByTestId('nav-audit')).toHaveAttribute('href', '/admin/audit');
    } else {
      await expect(page.getByTestId('nav-tokens')).toHaveCount(0);
      await expect(page.getByTestId('nav-audit')).toHaveCount(0);
    }
    console.check();
  });
}

test('the viewer gets 403 naming the admin role from the admin API and admin pages', async ({ page }) => {
  await signIn(page, 'viewer', '/');
  const console = watchConsole(page);
  const { csrf_token } = await (await page.request.get(`${SSO}/api/v1/session`)).json();

  for (const path of ['/api/v1/tokens', '/api/v1/audit']) {
    const res = await page.request.get(SSO + path);
    expect(res.status(), `${path}: ${await res.text()}`).toBe(403);
    const body = await res.json();
    expect(body.required_role).toBe('admin');
    expect(body.error).toBeTruthy();
  }
  // With a valid CSRF token the refusal is about the role, not about CSRF.
  const create = await page.request.post(`${SSO}/api/v1/tokens`, {
    headers: { 'x-csrf-token': csrf_token, origin: SSO },
    data: { name: 'viewer-should-not', scopes: ['ingest'] },
  });
  expect(create.status(), await create.text()).toBe(403);
  expect((await create.json()).required_role).toBe('admin');

  await page.goto(`${SSO}/admin/tokens`);
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await expect(page.getByTestId('forbidden')).toContainText('admin');
  await expect(page.getByTestId('token-form')).toHaveCount(0);
  await screenshot(page, 'sso-forbidden');

  await page.goto(`${SSO}/admin/audit`);
  await expect(page.getByTestId('forbidden')).toBeVisible();
  await expect(page.getByTestId('audit-row')).toHaveCount(0);
  console.check();
});

test('an admin token with ingest scope ingests an event until it is revoked; the audit log shows it', async ({ page, request }) => {
  await signIn(page, 'admin', '/admin/tokens');
  const console = watchConsole(page);
  const name = `sso-e2e-${Date.now()}`;

  await page.getByTestId('token-name').fill(name);
  await page.getByTestId('token-scope-read').setChecked(false);
  await page.getByTestId('token-scope-ingest').setChecked(true);
  await page.getByTestId('token-scope-trigger').setChecked(false);
  await page.getByTestId('token-create').click();
  const secretBox = page.getByTestId('token-secret');
  await expect(secretBox).toBeVisible();
  const secret = (await secretBox.textContent())?.trim() ?? '';
  expect(secret.length, 'token secret shown').toBeGreaterThan(20);
  await screenshot(page, 'sso-token-created');

  // The list never carries the secret again.
  const list = await page.request.get(`${SSO}/api/v1/tokens`);
  expect(list.status()).toBe(200);
  expect(await list.text()).not.toContain(secret);

  // `request` is a separate context: no cookies, only the bearer token.
  const event = [{ kind: 'team', name: 'sso-e2e', display_name: 'SSO end-to-end' }];
  const ingest = (headers: Record<string, string>) => request.post(`${SSO}/api/v1/events`, { headers, data: event });
  const ok = await ingest({ authorization: `Bearer ${secret}` });
  expect(ok.status(), await ok.text()).toBe(200);
  const reply = await ok.json();
  expect(reply.accepted + reply.updated).toBe(1);

  const anonymous = await ingest({});
  expect(anonymous.status(), await anonymous.text()).toBe(401);
  const wrong = await ingest({ authorization: `Bearer ${secret}x` });
  expect(wrong.status(), await wrong.text()).toBe(401);

  const row = page.getByTestId('token-row').filter({ hasText: name });
  await expect(row).toHaveCount(1);
  await row.getByTestId('token-revoke').click();
  await row.getByTestId('token-revoke-confirm').click();
  await expect(row).toHaveAttribute('data-status', /revoked/i);

  const revoked = await ingest({ authorization: `Bearer ${secret}` });
  expect(revoked.status(), await revoked.text()).toBe(401);

  await page.getByTestId('nav-audit').click();
  await expect(page).toHaveURL(/\/admin\/audit/);
  for (const action of ['sign_in', 'token_created', 'token_revoked']) {
    await expect(page.locator(`[data-test="audit-row"][data-action="${action}"]`).first()).toBeVisible();
  }
  // The address is the browser's own (loopback here), taken from the connection.
  await expect(page.locator('[data-test="audit-row"][data-action="token_created"]').first()).toContainText('127.0.0.1');
  const audit = await (await page.request.get(`${SSO}/api/v1/audit?per_page=100`)).json();
  const mine = audit.items.filter((i: any) => i.actor === 'admin' && String(i.detail).includes(name));
  expect(mine.map((i: any) => i.action).sort()).toEqual(['token_created', 'token_revoked']);
  expect(JSON.stringify(audit)).not.toContain(secret);
  await screenshot(page, 'sso-audit');
  console.check();
});

test('sign-out ends the session at Nagare and at the provider', async ({ page, request }) => {
  await signIn(page, 'engineer', '/');
  const console = watchConsole(page);
  const before = await page.request.get(`${SSO}/api/v1/session`);
  expect(before.status()).toBe(200);
  const old = (await page.context().cookies(SSO)).find((c) => c.name === 'nagare_session')!.value;

  await page.getByTestId('sign-out').click();
  // The app follows the server's answer to the provider's end_session endpoint.
  await page.waitForURL((u) => u.href.startsWith(`${IDP}/session/end`));
  const after = await page.request.get(`${SSO}/api/v1/session`);
  expect(after.status(), await after.text()).toBe(401);
  expect((await after.json()).login_url).toContain('/auth/login');
  // The session is gone on the server, not just the cookie in the browser.
  const replayed = await request.get(`${SSO}/api/v1/session`, { headers: { cookie: `nagare_session=${old}` } });
  expect(replayed.status()).toBe(401);

  // Confirm at the provider: back to Nagare, which has no session and sends the browser to sign in
  // (from the server, before the app loads), and the provider asks for the login again (its
  // session ended too).
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL((u) => u.href.startsWith(`${IDP}/interaction/`));
  await expect(page.locator('input[name="login"]')).toBeVisible();
  console.check();
});

test('an ended session sends the browser back through sign-in to the same page and filters', async ({ page, request }) => {
  await signIn(page, 'engineer', START);
  const { csrf_token } = await (await page.request.get(`${SSO}/api/v1/session`)).json();
  const stale = (await page.context().cookies(SSO)).find((c) => c.name === 'nagare_session')!.value;
  // End the session on the server only, as the idle timeout does: the browser keeps its cookie.
  const out = await request.post(`${SSO}/auth/logout`, {
    headers: { cookie: `nagare_session=${stale}`, 'x-csrf-token': csrf_token, origin: SSO },
  });
  expect(out.status(), await out.text()).toBe(200);

  // A filter change in the app asks the API, which answers 401: the app goes through sign-in (the
  // provider still knows the engineer, so no form this time) and comes back to the filtered URL.
  const gone = await request.get(`${SSO}/api/v1/services`, { headers: { cookie: `nagare_session=${stale}` } });
  expect(gone.status(), 'the old session is gone on the server').toBe(401);
  const chosen = (await page.getByTestId('filter-service').locator('option').nth(1).getAttribute('value'))!;
  expect(chosen).toBeTruthy();
  const callback = page.waitForResponse((r) => r.url().startsWith(`${SSO}/auth/callback?`));
  await page.getByTestId('filter-service').selectOption(chosen);
  expect((await callback).status(), 'signed in again through the provider').toBe(303);
  await page.waitForURL((u) => u.href.startsWith(SSO) && u.searchParams.get('service') === chosen);
  await expect(page.getByTestId('user-name')).toHaveText(USERS.engineer.name);
  const url = new URL(page.url());
  expect(url.pathname).toBe('/deployments');
  expect(url.searchParams.get('environment_tier')).toBe('production');
  const fresh = (await page.context().cookies(SSO)).find((c) => c.name === 'nagare_session')!.value;
  expect(fresh, 'a new session id at sign-in').not.toBe(stale);
  await expect(page.getByTestId('deployment-row').first()).toContainText(chosen);
});

test('a callback with a tampered state is refused without a session', async ({ request }) => {
  const login = await request.get(`${SSO}/auth/login?return_to=/incidents`, { maxRedirects: 0 });
  expect(login.status()).toBeGreaterThanOrEqual(300);
  expect(login.status()).toBeLessThan(400);
  const location = new URL(login.headers()['location']);
  expect(location.origin).toBe(IDP);
  expect(location.searchParams.get('client_id')).toBe('nagare');
  expect(location.searchParams.get('redirect_uri')).toBe(`${SSO}/auth/callback`);
  expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  expect(location.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'groups']));
  const state = location.searchParams.get('state')!;
  expect(state).toBeTruthy();
  expect(location.searchParams.get('nonce')).toBeTruthy();

  const tampered = await request.get(`${SSO}/auth/callback?code=x&state=${encodeURIComponent(state + 'x')}`, { maxRedirects: 0 });
  expect(tampered.status()).toBeGreaterThanOrEqual(400);
  expect(tampered.status()).toBeLessThan(500);
  expect(await tampered.text()).toMatch(/sign-in failed/i);
  expect(sessionCookie(setCookieOf(tampered)), 'no session cookie').toBe(false);

  // The real state with a made-up code: the provider refuses the exchange, so does Nagare.
  const badCode = await request.get(`${SSO}/auth/callback?code=x&state=${encodeURIComponent(state)}`, { maxRedirects: 0 });
  expect(badCode.status()).toBeGreaterThanOrEqual(400);
  expect(badCode.status()).toBeLessThan(500);
  expect(sessionCookie(setCookieOf(badCode)), 'no session cookie').toBe(false);
  expect((await request.get(`${SSO}/api/v1/session`)).status()).toBe(401);
});

test('a callback URL cannot be replayed', async ({ page, browser }) => {
  let callback = '';
  page.on('request', (r) => {
    if (r.url().startsWith(`${SSO}/auth/callback?`)) callback = r.url();
  });
  await signIn(page, 'viewer', '/');
  expect(callback, 'the browser went through /auth/callback').toContain('code=');

  // Again, in the signed-in context and in a fresh one: the state was used once and is gone.
  const again = await page.request.get(callback, { maxRedirects: 0 });
  expect(again.status(), await again.text()).toBeGreaterThanOrEqual(400);
  expect(again.status()).toBeLessThan(500);
  expect(sessionCookie(setCookieOf(again))).toBe(false);

  const other = await browser.newContext();
  const replay = await other.request.get(callback, { maxRedirects: 0 });
  expect(replay.status()).toBeGreaterThanOrEqual(400);
  expect(replay.status()).toBeLessThan(500);
  expect(sessionCookie(setCookieOf(replay))).toBe(false);
  expect((await other.request.get(`${SSO}/api/v1/session`)).status()).toBe(401);
  await other.close();
});

test('an ID token whose nonce differs from the sign-in is refused', async ({ page }) => {
  // Nagare's own authorization request, with the nonce changed on its way to the provider (as an
  // attacker in the middle would): the provider signs an ID token carrying the changed nonce, and
  // Nagare, which kept the original server-side, must refuse it.
  // Started in the page's own context, so that its browser holds the sign-in's login cookie.
  const login = await page.request.get(`${SSO}/auth/login?return_to=/`, { maxRedirects: 0 });
  const authorize = new URL(login.headers()['location']);
  authorize.searchParams.set('nonce', 'tampered-' + authorize.searchParams.get('nonce'));

  const answer: { status?: number } = {};
  page.on('response', (r) => {
    if (r.url().startsWith(`${SSO}/auth/callback?`)) answer.status = r.status();
  });
  await page.goto(authorize.toString());
  await page.locator('input[name="login"]').fill('admin');
  await page.locator('input[name="password"]').fill('admin-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.getByRole('button', { name: 'Continue' });
  const failed = page.getByTestId('sign-in-error');
  await expect(consent.or(failed).first()).toBeVisible();
  if (await consent.isVisible()) await consent.click();

  await expect(failed).toBeVisible();
  await expect(failed).toContainText(/nonce/i);
  expect(answer.status, 'the callback answers 4xx').toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect((await page.context().cookies(SSO)).find((c) => c.name === 'nagare_session')).toBeUndefined();
  expect((await page.request.get(`${SSO}/api/v1/session`)).status()).toBe(401);
});

/**
 * An attacker's own sign-in, through the provider's real login and consent forms but by HTTP
 * alone, stopped before Nagare's callback: returns the callback URL, state and code unused.
 */
async function attackerCallback(api: APIRequestContext): Promise<string> {
  let res = await api.get(`${SSO}/auth/login?return_to=/`, { maxRedirects: 0 });
  for (let step = 0; step < 12; step++) {
    const location = res.headers()['location'];
    if (location) {
      const next = new URL(location, res.url()).toString();
      if (next.startsWith(`${SSO}/auth/callback`)) return next;
      res = await api.get(next, { maxRedirects: 0 });
      continue;
    }
    const html = await res.text();
    const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
    if (!action) throw new Error(`no form at ${res.url()}: ${html.slice(0, 200)}`);
    const form: Record<string, string> = {};
    for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form[m[1]] = m[2];
    if (html.includes('name="login"')) Object.assign(form, { login: 'admin', password: 'admin-password' });
    res = await api.post(new URL(action, res.url()).toString(), { form, maxRedirects: 0 });
  }
  throw new Error('the provider never sent the browser back to Nagare');
}

test('a callback URL from the attacker\'s own sign-in is refused in another browser (login CSRF)', async ({ browser }) => {
  const attacker = await browser.newContext();
  const callback = await attackerCallback(attacker.request);
  expect(callback).toContain('code=');

  // The victim's browser is made to open it: refused, and the victim is not signed in.
  const victim = await browser.newContext();
  const page = await victim.newPage();
  const res = await page.goto(callback);
  expect(res?.status()).toBe(400);
  await expect(page.getByTestId('sign-in-error')).toContainText(/another browser/i);
  expect((await victim.cookies(SSO)).find((c) => c.name === 'nagare_session')).toBeUndefined();
  expect((await page.request.get(`${SSO}/api/v1/session`)).status()).toBe(401);

  // The same steps in the attacker's own browser do sign in: the refusal is the binding.
  const own = await attacker.request.get(await attackerCallback(attacker.request), { maxRedirects: 0 });
  expect(own.status(), await own.text()).toBe(303);
  expect(sessionCookie(setCookieOf(own))).toBe(true);
  await attacker.close();
  await victim.close();
});

test('an admin limits a token to one team: it writes and reads only that team\'s services', async ({ page, request }) => {
  await signIn(page, 'admin', '/admin/tokens');
  const console = watchConsole(page);
  const name = `payments-ci-${Date.now()}`;
  await page.getByTestId('token-name').fill(name);
  await page.getByTestId('token-scope-read').setChecked(true);
  await page.getByTestId('token-scope-ingest').setChecked(true);
  await page.getByTestId('token-limit-team-payments').setChecked(true);
  await screenshot(page, 'sso-token-limit');
  await page.getByTestId('token-create').click();
  const secret = ((await page.getByTestId('token-secret').textContent()) ?? '').trim();
  expect(secret.length).toBeGreaterThan(20);
  const row = page.getByTestId('token-row').filter({ hasText: name });
  await expect(row.getByTestId('token-limit-text')).toHaveText('teams payments');

  const bearer = { authorization: `Bearer ${secret}` };
  const deployment = (id: string, service: string) => ({
    kind: 'deployment', id, service, environment: 'production', status: 'success',
    finished_at: new Date().toISOString(), sha: 'e2e-limit',
  });
  const other = await request.post(`${SSO}/api/v1/events`, { headers: bearer, data: [deployment(`${name}-x`, 'checkout-api')] });
  expect(other.status(), await other.text()).toBe(403);
  const refused = await other.json();
  expect(refused.service).toBe('checkout-api');
  expect(refused.line).toBe(1);
  const own = await request.post(`${SSO}/api/v1/events`, { headers: bearer, data: [deployment(`${name}-ok`, 'ledger')] });
  expect(own.status(), await own.text()).toBe(200);
  expect((await request.get(`${SSO}/api/v1/metrics/dora?team=checkout`, { headers: bearer })).status()).toBe(403);
  expect((await request.get(`${SSO}/api/v1/metrics/dora?team=payments`, { headers: bearer })).status()).toBe(200);
  // Text a page of another site could send is refused before it is read.
  const plain = await request.post(`${SSO}/api/v1/events`, {
    headers: { ...bearer, 'content-type': 'text/plain' },
    data: JSON.stringify([deployment(`${name}-plain`, 'ledger')]),
  });
  expect(plain.status()).toBe(415);
  console.check();
});
