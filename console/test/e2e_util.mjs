// What the browser tests' steps share (console_e2e.mjs, the page modules
// it runs, console_oidc_e2e.mjs): the server, the keys, bounded waits, the
// editor, the problem watch and the browser's launch and report.
import puppeteer from 'puppeteer-core';
import path from 'node:path';

export const url = process.env.THEMIS_URL;
export const admin = process.env.ADMIN_KEY;
export const ro = process.env.RO_KEY;
export const shots = process.env.SHOT_DIR;
export const api = new URL('..', url).href.replace(/\/$/, '');
export const coll = 'console_it';
export const T = 15000;

export const problems = []; // console errors, page errors, CSP violations
/** Status codes a step provokes on purpose (not counted as problems). */
export const state = { expected: [] };

export function step(name) {
  console.log('step: ' + name);
}

export async function rest(method, p, body, key = admin) {
  const r = await fetch(api + p, {
    method,
    headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const text_of = (page, sel) => page.$eval(sel, (e) => e.textContent);

export async function wait_text(page, sel, re, timeout = T) {
  try {
    await page.waitForFunction((s, src) => {
      const e = document.querySelector(s);
      return e && new RegExp(src).test(e.textContent);
    }, { timeout }, sel, re.source);
  } catch (e) {
    const now = await page.$eval(sel, (x) => x.textContent).catch(() => '(absent)');
    throw new Error(`${sel} never matched ${re}: ${now.slice(0, 300)} (${e.message})`);
  }
}

/** Waits for the editor's view on its host (the editor is in a shadow root). */
export async function wait_editor(page, testid) {
  await page.waitForFunction((t) => {
    const el = document.querySelector(`[data-testid="${t}"]`);
    return el && el.cm_view;
  }, { timeout: T }, testid);
}

export async function set_editor(page, testid, text) {
  await wait_editor(page, testid);
  await page.$eval(`[data-testid="${testid}"]`, (el, t) => {
    const v = el.cm_view;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
  }, text);
}

export async function set_input(page, sel, value) {
  await page.$eval(sel, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

export async function sign_in(page, key) {
  await page.waitForSelector('input[name=key]', { timeout: T });
  await set_input(page, 'input[name=key]', key);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=logout]', { timeout: T });
}


/** Records console errors, page errors, unexpected HTTP errors and CSP
 *  violations of `page` (and of every document it loads) in `problems`. */
export async function watch(page) {
  page.on('console', (m) => {
    const t = m.text();
    // Chrome logs every failed response; responses are checked below
    if (m.type() === 'error' && !/^Failed to load resource: the server responded/.test(t))
      problems.push('console: ' + t);
  });
  page.on('response', (r) => {
    if (r.status() < 400) return;
    // the sign-in page asks whether the server has an OIDC provider
    // (oauth2.enabled off: 404, and no password button)
    if (r.status() === 404 && r.url().endsWith('/.well-known/openid-configuration')) return;
    const api_call = new URL(r.url()).pathname.includes('/api/');
    if (!(api_call && state.expected.includes(r.status())))
      problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  await page.exposeFunction('report_csp', (v) => problems.push('CSP: ' + v));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation',
      (e) => window.report_csp(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

/** Runs `run(page)` in headless chromium and exits: 0 when every step
 *  passed with no problem seen, else 1 with failure.png in SHOT_DIR. */
export async function run_in_browser(run) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    protocolTimeout: 60000,
  });
  const page = await browser.newPage();
  let status = 0;
  try {
    await watch(page);
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
}
