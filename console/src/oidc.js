// Sign-in with a password through themisd's own OpenID Connect provider
// (docs/security.md): the console is the built-in public client
// `themis-console`, using the authorization code flow with PKCE S256. The
// redirect URI is this page itself (<origin><prefix>/console/), which the
// server allows only under its own origin. state, nonce and the PKCE
// verifier are kept in this tab's sessionStorage for the round trip; the
// code is exchanged at the token endpoint by this page (same origin: no
// CORS, CSP connect-src 'self'). The access token is then kept like an
// API key, in memory only; the refresh token and ID token beside it, never
// in sessionStorage, localStorage or a cookie (a reload signs out; only
// the short-lived flow state of a sign-in in progress, which must survive
// the trip to the provider's form, is in sessionStorage, and it is removed
// when the provider's answer arrives).
import { current_key, on_key_change, prefix, replace_key, set_key } from './api.js';
import { sha256 } from './sha256.js';

export const client_id = 'themis-console';
// everything the console may use; the server grants only what the user
// holds (and drops the rest silently)
const scope = 'openid profile offline_access data:read data:write query jobs cdc:read admin';
const flow_key = 'themis.console.oidc_flow';

/** {refresh_token, id_token, expires_at (ms), lifetime (s)} of an OIDC
 *  sign-in, or null (an API key, or signed out). */
let session = null;
let timer = null;
let notice = '';

function read(k) {
  try {
    return JSON.parse(sessionStorage.getItem(k) || 'null');
  } catch {
    return null;
  }
}

function save(s) {
  session = s;
}

// any sign-out (the button, a 401 on a call) ends the OIDC session too
on_key_change((k) => {
  if (!k) {
    clearTimeout(timer);
    save(null);
  }
});

/** A message for the sign-in page (why a session ended), read once. */
export function take_notice() {
  const n = notice;
  notice = '';
  return n;
}

export function is_oidc_session() {
  return !!session && !!current_key();
}

/** The console's page as the browser reaches it: the redirect URI. */
export function redirect_uri() {
  return location.origin + prefix + '/console/';
}

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random_string(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function s256(verifier) {
  // crypto.subtle exists only in a secure context
  if (globalThis.crypto && crypto.subtle) {
    const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    return b64url(new Uint8Array(d));
  }
  return b64url(sha256(verifier));
}

/** The provider's discovery document, or null when the server has no
 *  provider (oauth2.enabled off: 404). */
export async function discover() {
  try {
    const r = await fetch(prefix + '/.well-known/openid-configuration', {
      headers: { Accept: 'application/json' }, cache: 'no-store',
    });
    if (!r.ok) return null;
    const m = await r.json();
    return m && typeof m.issuer === 'string' ? m : null;
  } catch {
    return null;
  }
}

/** Leaves for the provider's sign-in form. Endpoints are taken under this
 *  page's own prefix, not from the metadata: behind a gateway that adds a
 *  prefix the metadata's URLs (the issuer's) lack it. */
export async function start_sign_in(meta) {
  const flow = {
    state: random_string(24),
    nonce: random_string(24),
    verifier: random_string(48), // 64 characters (RFC 7636: 43-128)
    redirect_uri: redirect_uri(),
    issuer: meta.issuer,
    hash: location.hash,
  };
  sessionStorage.setItem(flow_key, JSON.stringify(flow));
  const q = new URLSearchParams({
    response_type: 'code', client_id, redirect_uri: flow.redirect_uri, scope,
    state: flow.state, nonce: flow.nonce,
    code_challenge: await s256(flow.verifier), code_challenge_method: 'S256',
  });
  location.assign(prefix + '/api/v1/auth/authorize?' + q);
}

async function token_request(params) {
  let r;
  try {
    r = await fetch(prefix + '/api/v1/auth/token', {
      method: 'POST', cache: 'no-store',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    });
  } catch (e) {
    const err = new Error('network error: ' + e.message);
    err.status = 0;
    throw err;
  }
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = null;
  }
  if (!r.ok || !data || !data.access_token) {
    const what = data && data.error ? data.error + (data.error_description ? ': ' + data.error_description : '') : 'no token';
    const err = new Error(`token endpoint ${r.status}: ${what}`);
    err.status = r.status;
    throw err;
  }
  return data;
}

/** The payload of a JWT, unverified (see finish_sign_in), or null. */
function jwt_claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function keep(t, silent) {
  const lifetime = Math.max(5, Number(t.expires_in) || 900);
  save({
    refresh_token: t.refresh_token || (session && session.refresh_token) || '',
    id_token: t.id_token || (session && session.id_token) || '',
    expires_at: Date.now() + lifetime * 1000,
    lifetime,
  });
  // a refreshed token replaces the old one without a re-render (pages
  // read the key at each call); a new sign-in is news to everyone
  if (silent) replace_key(t.access_token);
  else set_key(t.access_token);
  schedule();
}

/** Refreshes when three quarters of the access token's life are gone. */
function schedule() {
  clearTimeout(timer);
  if (!session || !session.refresh_token) return;
  const at = session.expires_at - session.lifetime * 250;
  timer = setTimeout(refresh, Math.max(0, at - Date.now()));
}

async function refresh() {
  if (!session) return;
  try {
    keep(await token_request({
      grant_type: 'refresh_token', refresh_token: session.refresh_token, client_id,
    }), true);
  } catch (e) {
    if (e.status === 0 && session && Date.now() < session.expires_at - 5000) {
      clearTimeout(timer); // the network, not the grant: try again soon
      timer = setTimeout(refresh, 5000);
      return;
    }
    notice = 'Your session ended (' + e.message + '); sign in again.';
    set_key('');
  }
}

/** Finishes a sign-in the provider sent back here (?code=… or ?error=…,
 *  with state and iss); what went wrong becomes the sign-in page's notice.
 */
export async function finish_sign_in() {
  const msg = await finish();
  if (msg) notice = msg;
}

/** finish_sign_in: '' (signed in, or nothing to finish) or a message. The parameters leave the address
 *  bar first: the code is single-use and must not stay in the history.
 *  The ID token is not signature-checked here: it came straight from the
 *  token endpoint of this origin (OIDC Core §3.1.3.7), so its nonce,
 *  issuer and audience are what ties it to this sign-in. */
async function finish() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return '';
  const flow = read(flow_key);
  sessionStorage.removeItem(flow_key);
  history.replaceState(null, '', location.pathname + ((flow && flow.hash) || ''));
  if (!flow || q.get('state') !== flow.state)
    return 'This sign-in answer does not belong to a sign-in started in this tab (state); start again.';
  if (q.has('iss') && q.get('iss') !== flow.issuer)
    return 'The sign-in answer comes from another issuer (' + q.get('iss') + '); nothing was kept.';
  if (q.has('error')) {
    const d = q.get('error_description');
    return 'Sign-in failed: ' + q.get('error') + (d ? ' (' + d + ')' : '');
  }
  let t;
  try {
    t = await token_request({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: flow.redirect_uri,
      client_id, code_verifier: flow.verifier,
    });
  } catch (e) {
    return 'Sign-in failed: ' + e.message;
  }
  const c = t.id_token ? jwt_claims(t.id_token) : null;
  if (!c || c.nonce !== flow.nonce || c.iss !== flow.issuer || c.aud !== client_id)
    return 'The ID token does not match this sign-in (nonce, issuer or audience); nothing was kept.';
  keep(t, false);
  return '';
}

/** Sign-out. An OIDC session ends at the provider too (RP-initiated
 *  logout: the user's grants at this client are revoked, so the refresh
 *  token and the access tokens it minted stop working), which brings the
 *  browser back here; an API key is simply forgotten. */
export function sign_out() {
  const s = session;
  set_key('');
  if (!s || !s.id_token) return false;
  const q = new URLSearchParams({
    id_token_hint: s.id_token, client_id, post_logout_redirect_uri: redirect_uri(),
  });
  location.assign(prefix + '/api/v1/auth/logout?' + q);
  return true;
}
