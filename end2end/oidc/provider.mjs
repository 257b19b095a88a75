// A real OpenID provider for the SSO browser tests: npm oidc-provider (OpenID-certified) on loopback,
// over plain http, with its own interactive login form (devInteractions) and three accounts.
//
//   PORT=… CLIENT_SECRET=… REDIRECT_URI=http://127.0.0.1:N/auth/callback \
//   POST_LOGOUT_URI=http://127.0.0.1:N/ node end2end/oidc/provider.mjs
//
// Prints `ready <issuer>` on stdout once it listens; stops on SIGTERM/SIGINT. Test-only: nothing here
// (dev interactions, in-memory adapter, keys made at start) is fit for production.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: env ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;

/** Found by login name. The dev login form ignores the password; an unknown name never signs in. */
const ACCOUNTS = {
  viewer: { name: 'Vera Viewer', email: 'vera@example.com', groups: ['dev-viewers'] },
  engineer: { name: 'Emil Engineer', email: 'emil@example.com', groups: ['team-payments'] },
  admin: { name: 'Ada Admin', email: 'ada@example.com', groups: ['platform-admins'] },
};

// A fresh RSA signing key per run: nothing on disk.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `e2e-${randomBytes(4).toString('hex')}`, use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: 'nagare',
      client_secret: env('CLIENT_SECRET'),
      client_name: 'Nagare (e2e)',
      redirect_uris: [env('REDIRECT_URI')],
      post_logout_redirect_uris: [env('POST_LOGOUT_URI')],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // S256 is the only method oidc-provider 9 supports; require it for every client.
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email'],
    groups: ['groups'],
  },
  // Put the scope-requested claims in the ID token too, not only in userinfo.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const account = Object.hasOwn(ACCOUNTS, id) ? ACCOUNTS[id] : undefined;
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // Explicit lifetimes: keeps the "you SHOULD change" notices out of the log.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
};

const provider = new Provider(issuer, configuration);

// The provider's built-in pages @import a Google font; the tests run offline, and a failed load is a
// console error in the browser. Strip the import from its HTML.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  }
});

// A favicon, so the browser's automatic request is not a 404 console error during the tests.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/favicon.ico') {
    ctx.type = 'image/svg+xml';
    ctx.body = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" fill="#4d90fe"/></svg>';
    return;
  }
  await next();
});

// The login step of the dev form, so an unknown login name is a clean sign-in failure (the relying party
// gets error=access_denied on its callback) rather than the provider's server_error page. The consent
// step and everything else stay oidc-provider's own. The password is not checked: any non-empty one.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name !== 'login') return next();
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const form = new URLSearchParams(Buffer.concat(chunks).toString());
  const login = form.get('login') ?? '';
  const result = Object.hasOwn(ACCOUNTS, login) && form.get('password')
    ? { login: { accountId: login } }
    : { error: 'access_denied', error_description: 'unknown user or missing password' };
  if (result.error) console.error(`login refused: ${JSON.stringify(login)}`);
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

// Errors the tests may provoke (bad client auth, PKCE, replayed codes) go to the log for debugging.
for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'userinfo.error', 'server_error']) {
  provider.on(event, (_ctx, err) => console.error(`${event}: ${err?.name ?? ''} ${err?.message ?? err} ${err?.error_description ?? ''}`));
}

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
