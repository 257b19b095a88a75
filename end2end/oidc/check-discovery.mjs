// Manual check (not run in CI): the provider's discovery document lists what Nagare needs.
//   node end2end/oidc/check-discovery.mjs http://127.0.0.1:PORT
import assert from 'node:assert/strict';

const issuer = process.argv[2];
if (!issuer) {
  console.error('usage: node check-discovery.mjs <issuer>');
  process.exit(2);
}
const res = await fetch(`${issuer}/.well-known/openid-configuration`);
assert.equal(res.status, 200, 'discovery answers 200');
const doc = await res.json();
assert.equal(doc.issuer, issuer, 'issuer matches the URL it was fetched from');
for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) {
  assert.ok(typeof doc[key] === 'string' && doc[key].startsWith(`${issuer}/`), `${key} is under the issuer: ${doc[key]}`);
}
assert.ok(doc.code_challenge_methods_supported?.includes('S256'), 'PKCE S256 supported');
assert.ok(doc.scopes_supported?.includes('groups'), 'scope groups supported');
assert.ok(doc.claims_supported?.includes('groups'), 'claim groups supported');
assert.ok(doc.token_endpoint_auth_methods_supported?.includes('client_secret_basic'), 'client_secret_basic supported');
const jwks = await (await fetch(doc.jwks_uri)).json();
assert.ok(jwks.keys?.length >= 1, 'jwks has a key');
console.log(`discovery ok: ${issuer}`);
