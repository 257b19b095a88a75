// Manual self-test of provider.mjs (not run in CI; Nagare is not involved):
//   cd end2end && TMPDIR="$PWD/.tmp" node oidc/selftest.mjs
// Starts the provider and a dummy relying party callback on loopback, then in Debian's chromium walks
// the authorization code + PKCE flow through the provider's real login form for each account, exchanges
// the code with client_secret_basic, verifies the ID token's signature and claims, reads userinfo, and
// checks the failure paths (code replay, missing PKCE, unknown login, wrong secret) and RP-initiated logout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { chromium } from '@playwright/test';

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const b64url = (buf) => Buffer.from(buf).toString('base64url');

const idpPort = await freePort();
const rpPort = await freePort();
const issuer = `http://127.0.0.1:${idpPort}`;
const rp = `http://127.0.0.1:${rpPort}`;
const redirectUri = `${rp}/auth/callback`;
const secret = b64url(randomBytes(24));

// The dummy relying party: answers anything with 200 so the browser settles on the redirect.
const rpServer = http.createServer((_req, res) => res.end('rp ok')).listen(rpPort, '127.0.0.1');

const idp = spawn(process.execPath, [new URL('./provider.mjs', import.meta.url).pathname], {
  env: { ...process.env, PORT: String(idpPort), CLIENT_SECRET: secret, REDIRECT_URI: redirectUri, POST_LOGOUT_URI: `${rp}/` },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let idpLog = '';
idp.stderr.on('data', (d) => (idpLog += d));
await new Promise((resolve, reject) => {
  let out = '';
  idp.stdout.on('data', (d) => {
    out += d;
    if (out.includes(`ready ${issuer}`)) resolve();
  });
  idp.on('exit', (code) => reject(new Error(`provider exited ${code}: ${idpLog}`)));
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  const disc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  assert.equal(disc.issuer, issuer);
  assert.ok(disc.end_session_endpoint && disc.code_challenge_methods_supported.includes('S256'));
  const jwks = await (await fetch(disc.jwks_uri)).json();
  const basic = 'Basic ' + Buffer.from(`nagare:${secret}`).toString('base64');

  function authorizeUrl({ pkce = true } = {}) {
    const verifier = b64url(randomBytes(32));
    const state = b64url(randomBytes(16));
    const nonce = b64url(randomBytes(16));
    const u = new URL(disc.authorization_endpoint);
    u.search = new URLSearchParams({
      client_id: 'nagare',
      response_type: 'code',
      scope: 'openid profile email groups',
      redirect_uri: redirectUri,
      state,
      nonce,
      ...(pkce ? { code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' } : {}),
    }).toString();
    return { url: u.toString(), verifier, state, nonce };
  }

  function decodeVerify(jwt) {
    const [h, p, s] = jwt.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url'));
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, 'ID token kid is in the jwks');
    assert.equal(header.alg, 'RS256');
    const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
    assert.ok(ok, 'ID token signature verifies');
    return JSON.parse(Buffer.from(p, 'base64url'));
  }

  async function tokenRequest(params, auth = basic) {
    const res = await fetch(disc.token_endpoint, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    return { status: res.status, body: await res.json() };
  }

  const expected = {
    viewer: { name: 'Vera Viewer', email: 'vera@example.com', groups: ['dev-viewers'] },
    engineer: { name: 'Emil Engineer', email: 'emil@example.com', groups: ['team-payments'] },
    admin: { name: 'Ada Admin', email: 'ada@example.com', groups: ['platform-admins'] },
  };

  for (const [login, claims] of Object.entries(expected)) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));

    const a = authorizeUrl();
    await page.goto(a.url);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.getByRole('button', { name: 'Continue' });
    await Promise.race([
      consent.waitFor().then(() => consent.click()),
      page.waitForURL((u) => u.href.startsWith(redirectUri)),
    ]);
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const cb = new URL(page.url());
    assert.equal(cb.searchParams.get('state'), a.state, 'state echoed');
    assert.equal(cb.searchParams.get('iss'), issuer, 'iss parameter in the response');
    const code = cb.searchParams.get('code');
    assert.ok(code, 'code present');

    // Wrong secret fails, then the real exchange works (a failed client auth does not consume the code).
    const bad = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: a.verifier }, 'Basic ' + Buffer.from('nagare:wrong').toString('base64'));
    assert.equal(bad.status, 401, `wrong secret: ${JSON.stringify(bad.body)}`);
    const wrongVerifier = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: b64url(randomBytes(32)) });
    assert.equal(wrongVerifier.status, 400, `wrong verifier: ${JSON.stringify(wrongVerifier.body)}`);
    // A failed PKCE check consumes the code in oidc-provider, so take a fresh one for the real exchange.
    const a2 = authorizeUrl();
    await page.goto(a2.url); // the provider session and grant exist: straight back with a code
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const code2 = new URL(page.url()).searchParams.get('code');
    const tok = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: redirectUri, code_verifier: a2.verifier });
    assert.equal(tok.status, 200, JSON.stringify(tok.body));
    const id = decodeVerify(tok.body.id_token);
    assert.equal(id.iss, issuer);
    assert.equal(id.aud, 'nagare');
    assert.equal(id.nonce, a2.nonce);
    assert.equal(id.sub, login);
    assert.equal(id.name, claims.name);
    assert.equal(id.email, claims.email);
    assert.deepEqual(id.groups, claims.groups, 'groups claim in the ID token');
    assert.ok(id.exp > id.iat);

    const ui = await (await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.body.access_token}` } })).json();
    assert.deepEqual(ui.groups, claims.groups, 'groups in userinfo');

    const replay = await tokenRequest({ grant_type: 'authorization_code', code: code2, redirect_uri: redirectUri, code_verifier: a2.verifier });
    assert.equal(replay.status, 400, 'code replay refused');
    assert.equal(replay.body.error, 'invalid_grant');

    // oidc-provider revokes what the code issued once it sees the code again.
    const after = await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tok.body.access_token}` } });
    assert.equal(after.status, 401, 'access token revoked after code replay');

    // RP-initiated logout: confirmation form, then back to the registered post-logout URI.
    const end = new URL(disc.end_session_endpoint);
    end.search = new URLSearchParams({ id_token_hint: tok.body.id_token, post_logout_redirect_uri: `${rp}/`, state: 'bye' }).toString();
    await page.goto(end.toString());
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${rp}/?`) || u.href === `${rp}/`);
    // Signed out at the provider: a new authorization shows the login form again.
    await page.goto(authorizeUrl().url);
    await page.locator('input[name="login"]').waitFor();

    assert.deepEqual(errors, [], `console errors on provider pages (${login})`);
    await context.close();
    console.log(`ok: ${login} signed in via the form; ID token verified (groups ${claims.groups}); replay refused; logout ok`);
  }

  // Unknown login name: the provider never issues a code.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizeUrl().url);
    await page.locator('input[name="login"]').fill('mallory');
    await page.locator('input[name="password"]').fill('x');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const cb = new URL(page.url());
    assert.equal(cb.searchParams.get('error'), 'access_denied', `unknown user: ${page.url()}`);
    assert.equal(cb.searchParams.get('code'), null);
    console.log('ok: unknown login name is refused: the callback gets error=access_denied, no code');
    await context.close();
  }

  // No PKCE: refused.
  {
    const res = await fetch(authorizeUrl({ pkce: false }).url, { redirect: 'manual' });
    const loc = res.headers.get('location') ?? '';
    assert.ok(loc.startsWith(redirectUri) && loc.includes('error=invalid_request'), `no-PKCE request refused: ${res.status} ${loc}`);
    console.log('ok: authorization request without PKCE is refused');
  }
  console.log('selftest passed');
} catch (e) {
  console.error(`provider log:\n${idpLog}`);
  throw e;
} finally {
  await browser.close();
  idp.kill('SIGTERM');
  rpServer.close();
}
