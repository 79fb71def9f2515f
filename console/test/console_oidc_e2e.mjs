// The console's password sign-in through themisd's OpenID Connect provider
// in Debian's headless chromium (puppeteer-core); run by
// tests/integration/test_console_oidc.py. Environment: THEMIS_URL (the
// console's URL), SHOT_DIR, CHROMIUM, OIDC_TTL (the access token's life in
// seconds), ONLY ("proxy": sign-in, query and sign-out only). Users:
// alice (tenant acme, data scopes) and ops (a global admin). Prints one
// line per step; on failure a screenshot goes to SHOT_DIR and the exit
// status is 1. Every wait is bounded.
import path from 'node:path';

import {
  T, go, run_in_browser, set_editor, set_input, shots, state, step, text_of, url, wait_text,
} from './e2e_util.mjs';

const only = process.env.ONLY || '';
const ttl = Number(process.env.OIDC_TTL || 900);

/** What the page keeps where another script or the disk could find it:
 *  nothing but, during a sign-in, the flow state (state, nonce, verifier). */
const stored = (page) => page.evaluate(() => ({
  session: Object.keys(sessionStorage),
  local: localStorage.length,
  cookie: document.cookie,
}));

/** The access token the page holds, seen from the outside: the newest one
 *  the token endpoint handed out (the page keeps it in memory only). */
const seen = { token: '' };
function track_tokens(page) {
  page.on('response', async (r) => {
    if (!r.url().includes('/api/v1/auth/token') || r.status() !== 200) return;
    try {
      const t = (await r.json()).access_token;
      if (t) seen.token = t;
    } catch { /* not JSON */ }
  });
}

async function nothing_stored(page, during) {
  const s = await stored(page);
  if (s.session.length || s.local || s.cookie)
    throw new Error(during + ': the page keeps ' + JSON.stringify(s));
}

/** From the console's sign-in page to the provider's form. */
async function to_form(page) {
  await page.waitForSelector('[data-testid=oidc-sign-in]', { timeout: T });
  await Promise.all([
    page.waitForNavigation({ timeout: T }),
    page.click('[data-testid=oidc-sign-in]'),
  ]);
  await page.waitForSelector('input[name=username]', { timeout: T });
  const at = new URL(page.url());
  if (!at.pathname.endsWith('/api/v1/auth/authorize')) throw new Error('not at the sign-in form: ' + page.url());
  for (const p of ['state', 'nonce', 'code_challenge'])
    if (!at.searchParams.get(p)) throw new Error('the authorization request lacks ' + p);
  if (at.searchParams.get('code_challenge_method') !== 'S256') throw new Error('PKCE is not S256');
  if (at.searchParams.get('client_id') !== 'themis-console') throw new Error('client ' + at.searchParams.get('client_id'));
}

async function submit_form(page, user, password) {
  await page.$eval('input[name=username]', (e, v) => { e.value = v; }, user);
  await page.$eval('input[name=password]', (e, v) => { e.value = v; }, password);
  await Promise.all([
    page.waitForNavigation({ timeout: T }),
    page.click('button[value=allow]'),
  ]);
}

async function sign_in(page, user, password, who) {
  const before = seen.token;
  await to_form(page);
  await submit_form(page, user, password);
  await wait_text(page, '[data-testid=whoami]', who);
  for (const end = Date.now() + 5000; seen.token === before && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 50));
  const u = new URL(page.url());
  if (u.search) throw new Error('the code stayed in the address bar: ' + page.url());
  if (!seen.token || seen.token.split('.').length !== 3) throw new Error('no access token handed out');
  await nothing_stored(page, 'signed in');
  return seen.token;
}

async function run_query(page) {
  await go(page, '#/query');
  await set_editor(page, 'aql', 'FOR i IN 1..3 RETURN i * 2');
  await set_input(page, 'textarea[name=binds]', ''); // the example's @c
  await page.click('[data-testid=run]');
  await wait_text(page, '[data-testid=result-count]', /^3 rows$/);
  await wait_text(page, '[data-testid=results]', /6/);
}

async function sign_out(page, old_token) {
  await Promise.all([
    page.waitForNavigation({ timeout: T }),
    page.click('[data-testid=logout]'),
  ]);
  await page.waitForSelector('[data-testid=oidc-sign-in]', { timeout: T });
  await nothing_stored(page, 'signed out');
  // end_session revoked the grant: the token the page held is refused
  state.expected = [401];
  const st = await page.evaluate(async (t) => (await fetch('../api/v1/whoami', {
    headers: { Authorization: 'Bearer ' + t },
  })).status, old_token);
  state.expected = [];
  if (st !== 401) throw new Error('the signed-out token still answers ' + st);
}

async function run(page) {
  await page.setViewport({ width: 1100, height: 720 });
  track_tokens(page);
  await page.goto(url, { waitUntil: 'load', timeout: T });

  step('a wrong password stays on the sign-in form');
  await to_form(page);
  await page.screenshot({ path: path.join(shots, 'console-oidc-form.png') });
  state.expected = [401];
  await submit_form(page, 'alice', 'not-her-password');
  await wait_text(page, '.err', /Wrong user name or password/);
  state.expected = [];
  if (!new URL(page.url()).pathname.endsWith('/api/v1/auth/authorize')) throw new Error('left the form: ' + page.url());
  if (seen.token) throw new Error('a token was handed out');

  step('the right password: signed in as alice @ acme');
  await submit_form(page, 'alice', 'wonderland');
  await wait_text(page, '[data-testid=whoami]', /^alice @ acme$/);
  if (new URL(page.url()).search) throw new Error('the code stayed in the address bar: ' + page.url());
  await nothing_stored(page, 'signed in');
  for (const end = Date.now() + 5000; !seen.token && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 50));
  let alice = seen.token;

  step('run a query with the token');
  await run_query(page);
  await page.screenshot({ path: path.join(shots, 'console-oidc-query.png') });

  step('a reload forgets the token (memory only): sign in again');
  await page.reload({ waitUntil: 'load', timeout: T });
  await page.waitForSelector('[data-testid=oidc-sign-in]', { timeout: T });
  if (await page.$('[data-testid=whoami]')) throw new Error('still signed in after a reload');
  alice = await sign_in(page, 'alice', 'wonderland', /^alice @ acme$/);

  step('sign out ends the grant at the provider');
  await sign_out(page, alice);
  if (only === 'proxy') return;

  step('a state that does not match is refused');
  await page.goto(url + '?code=forged&state=forged', { waitUntil: 'load', timeout: T });
  await wait_text(page, '[data-testid=msg-error]', /state/);
  if (new URL(page.url()).search) throw new Error('the forged code stayed in the address bar');

  step('a global admin signs in; the token is refreshed before it expires');
  const first = await sign_in(page, 'ops', 'ops-secret-1', /^ops$/);
  for (const end = Date.now() + (ttl + 5) * 1000; seen.token === first && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 200));
  const second = seen.token;
  if (!second || second === first) throw new Error('no refreshed token');
  await nothing_stored(page, 'refreshed');
  await run_query(page);

  step('the WebSocket chart moves while a changefeed WebSocket talks');
  await go(page, '#/server');
  await wait_text(page, '[data-testid=health]', /healthy/);
  const ws = '.chart[data-title="WebSocket messages/s"]';
  await page.waitForSelector(ws + ' canvas', { timeout: T });
  await page.waitForFunction((s) => Number(document.querySelector(s).dataset.peak) > 1,
    { timeout: T }, ws);
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 7, { timeout: T });
  await new Promise((r) => setTimeout(r, 4500)); // two more polls: lines, not dots
  if (await page.$('[data-testid=msg-error]')) throw new Error(await text_of(page, '[data-testid=msg-error]'));
  await page.screenshot({ path: path.join(shots, 'console-oidc-server.png') });

  step('the MQTT playground connects with the access token as its password');
  await go(page, '#/mqtt');
  await page.click('[data-testid=mqtt-connect]');
  await wait_text(page, '[data-testid=mqtt-state]', /^connected as console-/);
  await page.click('[data-testid=mqtt-subscribe]');
  await wait_text(page, '[data-testid=msg-ok]', /subscribed to/);
  await set_input(page, 'input[name=mqtt-payload]', 'hello-with-a-token');
  await page.click('[data-testid=mqtt-publish]');
  await wait_text(page, '[data-testid=mqtt-received]', /hello-with-a-token/);
  await page.click('[data-testid=mqtt-connect]'); // disconnect
  await wait_text(page, '[data-testid=mqtt-state]', /^disconnected$/);

  step('sign out again');
  await sign_out(page, second);
}

await run_in_browser(run);
