// The console's password sign-in through themisd's OpenID Connect provider
// in Debian's headless chromium (puppeteer-core); run by
// tests/integration/test_console_oidc.py. Environment: THEMIS_URL (the
// console's URL), SHOT_DIR, CHROMIUM, OIDC_TTL (the access token's life in
// seconds), ONLY ("proxy": sign-in, query and sign-out only). Users:
// alice (tenant acme, data scopes) and ops (a global admin). Prints one
// line per step; on failure a screenshot goes to SHOT_DIR and the exit
// status is 1. Every wait is bounded.
import puppeteer from 'puppeteer-core';
import path from 'node:path';

import {
  T, go, problems, set_editor, set_input, shots, state, step, text_of, url, wait_text,
} from './e2e_util.mjs';

const only = process.env.ONLY || '';
const ttl = Number(process.env.OIDC_TTL || 900);

function watch(page) {
  page.on('console', (m) => {
    const t = m.text();
    // Chrome logs every failed response; responses are checked below
    if (m.type() === 'error' && !/^Failed to load resource: the server responded/.test(t))
      problems.push('console: ' + t);
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const api_call = new URL(r.url()).pathname.includes('/api/');
    if (!(api_call && state.expected.includes(r.status())))
      problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
}

const stored = (page) => page.evaluate(() => ({
  key: sessionStorage.getItem('themis.console.key'),
  oidc: sessionStorage.getItem('themis.console.oidc'),
  flow: sessionStorage.getItem('themis.console.oidc_flow'),
}));

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
  await to_form(page);
  await submit_form(page, user, password);
  await wait_text(page, '[data-testid=whoami]', who);
  const u = new URL(page.url());
  if (u.search) throw new Error('the code stayed in the address bar: ' + page.url());
  const s = await stored(page);
  if (!s.key || s.key.split('.').length !== 3) throw new Error('no access token kept');
  if (!s.oidc || s.flow) throw new Error('session state: ' + JSON.stringify(s));
  return s.key;
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
  const s = await stored(page);
  if (s.key || s.oidc) throw new Error('signed out but kept ' + JSON.stringify(s));
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
  watch(page);
  await page.exposeFunction('report_csp', (v) => problems.push('CSP: ' + v));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation',
      (e) => window.report_csp(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url, { waitUntil: 'load', timeout: T });

  step('a wrong password stays on the sign-in form');
  await to_form(page);
  await page.screenshot({ path: path.join(shots, 'console-oidc-form.png') });
  state.expected = [401];
  await submit_form(page, 'alice', 'not-her-password');
  await wait_text(page, '.err', /Wrong user name or password/);
  state.expected = [];
  if (!new URL(page.url()).pathname.endsWith('/api/v1/auth/authorize')) throw new Error('left the form: ' + page.url());
  if ((await stored(page)).key) throw new Error('a token was kept');

  step('the right password: signed in as alice @ acme');
  await submit_form(page, 'alice', 'wonderland');
  await wait_text(page, '[data-testid=whoami]', /^alice @ acme$/);
  if (new URL(page.url()).search) throw new Error('the code stayed in the address bar: ' + page.url());
  const alice = (await stored(page)).key;

  step('run a query with the token');
  await run_query(page);
  await page.screenshot({ path: path.join(shots, 'console-oidc-query.png') });

  step('a reload keeps the sign-in (session storage)');
  await page.reload({ waitUntil: 'load', timeout: T });
  await wait_text(page, '[data-testid=whoami]', /^alice @ acme$/);

  step('sign out ends the grant at the provider');
  await sign_out(page, alice);
  if (only === 'proxy') return;

  step('a state that does not match is refused');
  await page.goto(url + '?code=forged&state=forged', { waitUntil: 'load', timeout: T });
  await wait_text(page, '[data-testid=msg-error]', /state/);
  if (new URL(page.url()).search) throw new Error('the forged code stayed in the address bar');

  step('a global admin signs in; the token is refreshed before it expires');
  const first = await sign_in(page, 'ops', 'ops-secret-1', /^ops$/);
  await page.waitForFunction((t) => sessionStorage.getItem('themis.console.key') !== t,
    { timeout: (ttl + 5) * 1000 }, first);
  const second = (await stored(page)).key;
  if (!second || second === first) throw new Error('no refreshed token');
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

  step('sign out again');
  await sign_out(page, second);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  protocolTimeout: 60000,
});
const page = await browser.newPage();
let status = 0;
try {
  await run(page);
  if (problems.length) throw new Error('console errors or CSP violations:\n  ' + problems.join('\n  '));
  console.log('ok: every step passed');
} catch (e) {
  status = 1;
  console.log('FAILED: ' + e.message);
  if (problems.length) console.log('problems seen:\n  ' + problems.join('\n  '));
  const shot = path.join(shots, 'failure.png');
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.log('screenshot: ' + shot);
} finally {
  await browser.close();
}
process.exit(status);
