// The one way the console talks to themisd: its public HTTP API, with the
// API key (or the access token of a password sign-in, oidc.js) as a
// Bearer token. It lives in this page's memory only (never
// sessionStorage, localStorage or a cookie): a reload, a new tab or
// closing the tab asks to sign in again, no other site can make the
// browser send it, and nothing is left on the disk or in the tab's
// storage for a script of another page of this origin to read.

/** The path prefix themisd is served under ("" at the root, "/db" behind a
 *  gateway that maps /db/ to themisd): everything before /console. */
export const prefix = location.pathname.replace(/\/console(\/.*)?$/, '');

let key = '';
const listeners = new Set();

export function current_key() {
  return key;
}

export function set_key(k) {
  replace_key(k);
  if (!key) set_tenant('');
  for (const f of listeners) f(key);
}

/** A new token for the same sign-in (a refresh): used from the next call
 *  on, nobody is told (no page reloads its data). */
export function replace_key(k) {
  key = k || '';
}

// The tenant a global admin acts in (X-Tenant-ID on every call; "" : its
// own global namespace). The server refuses the header from anyone else.
let tenant = '';

export function current_tenant() {
  return tenant;
}

export function set_tenant(t) {
  tenant = t || '';
}

export function on_key_change(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function auth_headers() {
  const h = key ? { Authorization: 'Bearer ' + key } : {};
  if (key && tenant) h['X-Tenant-ID'] = tenant;
  return h;
}

function b64url(text) {
  let s = '';
  for (const b of new TextEncoder().encode(text)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The WebSocket URL of an API path (same origin and prefix). */
export function ws_url(path) {
  const u = new URL(prefix + path, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

/** The subprotocols to offer on a WebSocket: the one it speaks, and the
 *  credential a browser cannot send as a header (docs/websocket.md):
 *  `themis.bearer.<base64url(key)>` and, for a global admin acting in a
 *  tenant, `themis.tenant.<id>`. The server takes both out and echoes
 *  only `real`. */
export function ws_protocols(real) {
  const p = [real];
  if (key) p.push('themis.bearer.' + b64url(key));
  if (key && tenant) p.push('themis.tenant.' + tenant);
  return p;
}

/** An error answer of the server, with its status and body. */
export class api_error extends Error {
  constructor(status, body, text) {
    const msg = (body && typeof body === 'object' && body.message) ||
      text || 'no answer';
    // SQL errors (POST /api/v1/query/sql) carry PostgreSQL's SQLSTATE
    const state = body && typeof body === 'object' && body.sqlstate;
    super(state ? `${status}: SQLSTATE ${state}: ${msg}` : `${status}: ${msg}`);
    this.status = status;
    this.body = body;
    this.sqlstate = state || '';
  }
}

/** One request; JSON bodies in and out. Resolves to {status, headers,
 *  data}; rejects with api_error for a non-2xx answer. A 401 signs out
 *  (the key is wrong, revoked or expired). */
export async function call(method, path, { body, headers, signal } = {}) {
  const h = { Accept: 'application/json', ...auth_headers(), ...headers };
  let payload = body;
  if (body !== undefined && typeof body !== 'string') {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(prefix + path, {
      method, headers: h, body: payload, cache: 'no-store', signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new api_error(0, null, 'network error: ' + e.message);
  }
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!r.ok) {
    const err = new api_error(r.status, data, text.slice(0, 300));
    if (r.status === 401 && key) set_key('');
    throw err;
  }
  return { status: r.status, headers: r.headers, data };
}

export const enc = encodeURIComponent;

/** One read-only SQL statement (POST /api/v1/query/sql): {command,
 *  columns: [{name, type_oid}], rows: [[…]], truncated, ms}. */
export async function run_sql(query, maxRows) {
  const body = maxRows ? { query, maxRows } : { query };
  const r = await call('POST', '/api/v1/query/sql', { body });
  return r.data;
}
