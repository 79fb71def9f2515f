// What the browser test's steps share (console_e2e.mjs and the page
// modules it runs): the server, the keys, bounded waits and the editor.
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

