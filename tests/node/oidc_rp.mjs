// A real OpenID Connect relying party (openid-client 6, pinned in
// package.json) against themisd's provider (issue 24): discovery, the
// authorization code flow with PKCE S256 — the login form driven over HTTP
// (fetch the form, post credentials + CSRF token with the form's cookie,
// follow the redirect) — token exchange with ID-token validation by the
// library, userinfo, refresh rotation and reuse detection, introspection,
// revocation, client credentials, logout; then the access token on REST,
// MQTT and PostgreSQL. Prints one JSON object of observations; the Python
// test (tests/integration/test_oidc_provider.py) judges them.
import * as client from 'openid-client';
import fs from 'node:fs';
import mqtt from 'mqtt';
import pg from 'pg';

const env = process.env;
const issuer = new URL(env.OIDC_ISSUER);
const redirect_uri = env.OIDC_REDIRECT;
const out = {};

async function errorOf(promise) {
  try {
    await promise;
    return 'no error';
  } catch (e) {
    if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      // a 401 with WWW-Authenticate (RFC 6749 §5.2): the body's error too
      let body = {};
      try { body = await e.response.json(); } catch { /* already read */ }
      return `${e.status} ${e.cause?.[0]?.scheme} ${body.error}`;
    }
    return e.error || e.code || e.message;
  }
}

// the browser part: the sign-in form, driven with fetch
async function signIn(config, extra = {}, password = env.OIDC_PASSWORD) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri,
    scope: 'openid data:read data:write admin',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const form = await fetch(url, { redirect: 'manual' });
  const html = await form.text();
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const field = (n) => (html.match(new RegExp(`name=${n} value="([^"]*)"`)) || [])[1];
  const post = await fetch(new URL('authorize', url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({
      request_id: field('request_id'),
      csrf_token: field('csrf_token'),
      username: env.OIDC_USER,
      password,
      action: 'allow',
    }),
  });
  return { form, post, verifier, state, nonce,
           location: post.headers.get('location') };
}

async function rest(token) {
  const r = await fetch(new URL('/api/v1/whoami', issuer), {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: r.status, body: r.status === 200 ? await r.json() : null,
           challenge: r.headers.get('www-authenticate') };
}

const config = await client.discovery(issuer, env.OIDC_CLIENT,
  { client_secret: env.OIDC_SECRET,
    id_token_signed_response_alg: env.OIDC_ALG || 'RS256' },
  client.ClientSecretBasic(env.OIDC_SECRET),
  { execute: [client.allowInsecureRequests] });
const meta = config.serverMetadata();
out.discovery = { issuer: meta.issuer, pkce: meta.code_challenge_methods_supported,
                  introspection: meta.introspection_endpoint };

// 1. the code flow
const flow = await signIn(config);
out.form_status = flow.form.status;
out.form_csp = flow.form.headers.get('content-security-policy');
out.redirect_status = flow.post.status;
const tokens = await client.authorizationCodeGrant(config, new URL(flow.location), {
  pkceCodeVerifier: flow.verifier, expectedState: flow.state,
  expectedNonce: flow.nonce, idTokenExpected: true });
const claims = tokens.claims();
out.id_token = { sub: claims.sub, nonce_ok: claims.nonce === flow.nonce,
                 aud: claims.aud, tenant: claims.tenant };
out.scope = tokens.scope;
out.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
out.rest = await rest(tokens.access_token);
// the code is single-use
out.code_reuse = await errorOf(client.authorizationCodeGrant(config,
  new URL(flow.location), { pkceCodeVerifier: flow.verifier,
                            expectedState: flow.state, expectedNonce: flow.nonce }));
out.rest_after_code_reuse = (await rest(tokens.access_token)).status;

// 2. PKCE: a wrong verifier is invalid_grant
const wrong = await signIn(config);
out.pkce_mismatch = await errorOf(client.authorizationCodeGrant(config,
  new URL(wrong.location), { pkceCodeVerifier: client.randomPKCECodeVerifier(),
                             expectedState: wrong.state, expectedNonce: wrong.nonce }));
// a wrong password re-shows the form (401), no redirect
out.bad_password_status = (await signIn(config, {}, 'not-the-password')).post.status;

// 3. refresh rotation and reuse detection
const login = await signIn(config);
const t1 = await client.authorizationCodeGrant(config, new URL(login.location), {
  pkceCodeVerifier: login.verifier, expectedState: login.state,
  expectedNonce: login.nonce });
const t2 = await client.refreshTokenGrant(config, t1.refresh_token);
out.rotated = t2.refresh_token !== t1.refresh_token;
out.refreshed_rest = (await rest(t2.access_token)).status;
out.introspect_active = (await client.tokenIntrospection(config, t2.access_token)).active;
out.introspect_refresh = await client.tokenIntrospection(config, t2.refresh_token);
out.refresh_reuse = await errorOf(client.refreshTokenGrant(config, t1.refresh_token));
out.after_reuse_latest = await errorOf(client.refreshTokenGrant(config, t2.refresh_token));
out.after_reuse_introspect = (await client.tokenIntrospection(config, t2.access_token)).active;
const afterReuse = await rest(t2.access_token);
out.after_reuse_rest = afterReuse.status;
out.after_reuse_challenge = afterReuse.challenge;

// 4. revocation (RFC 7009)
const l3 = await signIn(config);
const t3 = await client.authorizationCodeGrant(config, new URL(l3.location), {
  pkceCodeVerifier: l3.verifier, expectedState: l3.state, expectedNonce: l3.nonce });
await client.tokenRevocation(config, t3.access_token, { token_type_hint: 'access_token' });
out.revoked_access_introspect = (await client.tokenIntrospection(config, t3.access_token)).active;
out.revoked_access_rest = (await rest(t3.access_token)).status;
await client.tokenRevocation(config, t3.refresh_token);
out.revoked_refresh = await errorOf(client.refreshTokenGrant(config, t3.refresh_token));

// 5. client credentials (the service client)
const svc = await client.discovery(issuer, env.OIDC_SVC_CLIENT, env.OIDC_SVC_SECRET,
  client.ClientSecretPost(env.OIDC_SVC_SECRET), { execute: [client.allowInsecureRequests] });
const cc = await client.clientCredentialsGrant(svc, { scope: 'data:read' });
out.client_credentials = { scope: cc.scope, refresh: cc.refresh_token ?? null,
                           rest: await rest(cc.access_token) };
out.cc_bad_scope = await errorOf(client.clientCredentialsGrant(svc, { scope: 'admin' }));
const badSecret = await client.discovery(issuer, env.OIDC_CLIENT, 'wrong-secret',
  client.ClientSecretBasic('wrong-secret'), { execute: [client.allowInsecureRequests] });
out.bad_secret = await errorOf(client.refreshTokenGrant(badSecret, t2.refresh_token));

// 6. the access token as a password on MQTT and PostgreSQL
const l4 = await signIn(config);
const t4 = await client.authorizationCodeGrant(config, new URL(l4.location), {
  pkceCodeVerifier: l4.verifier, expectedState: l4.state, expectedNonce: l4.nonce });
async function mqttConnect(password) {
  try {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${env.MQTT_PORT}`, {
      username: env.OIDC_USER, password, reconnectPeriod: 0, connectTimeout: 5000 });
    await c.publishAsync('ingest/oidc_readings/r1', JSON.stringify({ v: 1 }), { qos: 1 });
    await c.endAsync();
    return 'ok';
  } catch (e) {
    return String(e.code ?? e.message);
  }
}
out.mqtt = await mqttConnect(t4.access_token);
out.mqtt_revoked = await mqttConnect(t3.access_token);
async function pgQuery(password) {
  const c = new pg.Client({ host: '127.0.0.1', port: Number(env.PG_PORT),
    user: env.OIDC_USER, password, database: 'themis', connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    const r = await c.query('SELECT 1 AS one');
    await c.end();
    return r.rows[0].one;
  } catch (e) {
    return String(e.code ?? e.message);
  }
}
out.pg = await pgQuery(t4.access_token);
out.pg_revoked = await pgQuery(t3.access_token);

// 7. RP-initiated logout ends the grant
const end = client.buildEndSessionUrl(config, {
  id_token_hint: t4.id_token, post_logout_redirect_uri: env.OIDC_LOGOUT_REDIRECT,
  state: 'bye' });
const lo = await fetch(end, { redirect: 'manual' });
out.logout = { status: lo.status, location: lo.headers.get('location') };
out.after_logout_refresh = await errorOf(client.refreshTokenGrant(config, t4.refresh_token));

// 8. private_key_jwt: the client signs an assertion with its own key
const pem = fs.readFileSync(env.OIDC_PKJ_KEY, 'utf8');
const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
const key = await crypto.subtle.importKey('pkcs8', der,
  { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
const pkj = await client.discovery(issuer, 'jwtc', undefined, client.PrivateKeyJwt(key),
  { execute: [client.allowInsecureRequests] });
const pt = await client.clientCredentialsGrant(pkj, { scope: 'data:read' });
out.private_key_jwt = { scope: pt.scope, rest: (await rest(pt.access_token)).status };

console.log(JSON.stringify(out));
