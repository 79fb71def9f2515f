// Drives the console in Debian's headless chromium (puppeteer-core) against
// a running themisd with auth on; run by tests/integration/test_console.py.
// Environment: THEMIS_URL (the console's URL), ADMIN_KEY, RO_KEY, SHOT_DIR,
// CHROMIUM. Prints one line per step; on failure a screenshot goes to
// SHOT_DIR and the exit status is 1. Every wait is bounded.
import path from 'node:path';

import {
  T, admin, coll, go, rest, ro, run_in_browser, set_editor, set_input, shots,
  sign_in, state, step, text_of, url, wait_editor, wait_text,
} from './e2e_util.mjs';
import { more_pages, no_tenant_switch } from './e2e_pages.mjs';
import { collection_pages, indexes_and_schema, memory_only, streamed_result } from './e2e_more.mjs';

const only = process.env.ONLY || ''; // "proxy": the sign-in and list only
async function progress_of(page, job) {
  return page.$eval(`tr[data-job="${job}"] [data-testid=job-progress]`,
    (p) => (p.hasAttribute('value') ? Number(p.value) : -1));
}

async function run(page) {
  await page.setViewport({ width: 1100, height: 720 });

  step('without credentials the console cannot load data');
  state.expected = [401];
  await page.goto(url, { waitUntil: 'load', timeout: T });
  await page.waitForSelector('input[name=key]', { timeout: T });
  await go(page, '#/collections');
  await new Promise((r) => setTimeout(r, 300));
  if (await page.$('[data-testid=collections]')) throw new Error('collections shown without a key');
  const anon = await page.evaluate(async () => (await fetch('../api/v1/collections')).status);
  if (anon !== 401) throw new Error('anonymous API call answered ' + anon);
  await set_input(page, 'input[name=key]', 'thk_0000000000000000_wrong');
  await page.click('button[type=submit]');
  await wait_text(page, '[data-testid=msg-error]', /401/);

  step('sign in and list collections');
  state.expected = [];
  await sign_in(page, admin);
  await page.waitForSelector('[data-testid=collections]', { timeout: T });
  await memory_only(page);
  if (only === 'proxy') {
    await page.screenshot({ path: path.join(shots, 'console-proxy.png') });
    return;
  }

  step('create a collection');
  await set_input(page, 'input[name=collection]', coll);
  await page.click('[data-testid=create-collection]');
  await page.waitForSelector(`tr[data-collection="${coll}"]`, { timeout: T });

  step('create a document, then see a conflict');
  await go(page, '#/docs/' + coll);
  await page.waitForSelector('[data-testid=page-no]', { timeout: T });
  await page.click('.row button:nth-of-type(3)'); // New
  await set_editor(page, 'doc-editor', '{"_key": "k1", "n": 1}');
  await page.click('[data-testid=save]');
  await wait_text(page, '[data-testid=msg-ok]', /Saved k1/);
  await page.waitForSelector('button[data-key="k1"]', { timeout: T });
  await rest('PUT', `/api/v1/collections/${coll}/documents/k1`, { n: 99 }); // someone else
  state.expected = [412];
  await set_editor(page, 'doc-editor', '{"_key": "k1", "n": 2}');
  await page.click('[data-testid=save]');
  await wait_text(page, '[data-testid=msg-error]', /Conflict.*412/);
  state.expected = [];
  const stored = await rest('GET', `/api/v1/collections/${coll}/documents/k1`);
  if (stored.n !== 99) throw new Error('the conflicting save overwrote the document');

  step('size, indexes and schema of the collection');
  await page.click('[data-testid=coll-info] summary');
  await page.click('[data-testid=coll-info] .row button'); // Refresh
  await wait_text(page, '[data-testid=coll-stats]', /^1 document, \d+ B of JSON, \d+ index/);
  state.expected = [404];
  await page.click('[data-testid=show-schema]');
  await wait_text(page, '[data-testid=coll-schema]', /No schema/);
  state.expected = [];
  await rest('PUT', `/api/v1/collections/${coll}/schema`,
    { rule: { type: 'object', properties: { n: { type: 'integer' } } }, message: 'n is a whole number' });
  await page.click('[data-testid=show-schema]');
  await wait_text(page, '[data-testid=coll-schema]', /"integer"[^]*n is a whole number/);
  await rest('DELETE', `/api/v1/collections/${coll}/schema`);
  await indexes_and_schema(page);

  step('run an AQL query and explain it');
  await go(page, '#/query');
  await set_editor(page, 'aql', `FOR d IN ${coll} FILTER d.n >= @min RETURN d`);
  await set_input(page, 'textarea[name=binds]', '{"min": 10}');
  await page.click('[data-testid=run]');
  await wait_text(page, '[data-testid=result-count]', /^1 row$/);
  await wait_text(page, '[data-testid=results] table', /k1.*99/);
  await page.click('[data-testid=explain]');
  await wait_text(page, '[data-testid=plan]', /"loops"/);
  await page.screenshot({ path: path.join(shots, 'console-query.png') });
  await streamed_result(page);

  step('a job: its progress bar advances and it completes');
  await set_editor(page, 'aql', 'FOR i IN 1..10000000 LET s = CONCAT("k", i) LET t = CONCAT(s, s)\n' +
    '  FILTER LENGTH(t) > 15 COLLECT WITH COUNT INTO n RETURN n');
  await set_input(page, 'textarea[name=binds]', '');
  await page.click('[data-testid=run-job]');
  await page.waitForSelector('[data-testid=jobs] tr[data-job]', { timeout: T });
  const job = await page.$eval('[data-testid=jobs] tr[data-job]', (r) => r.dataset.job);
  const sel = `tr[data-job="${job}"]`;
  await page.waitForSelector(`${sel}[data-status=running]`, { timeout: T });
  await page.waitForFunction((s) => {
    const p = document.querySelector(s + ' [data-testid=job-progress]');
    return p && p.hasAttribute('value') && Number(p.value) > 0 && Number(p.value) < 1;
  }, { timeout: T }, sel);
  const first = await progress_of(page, job);
  await page.waitForFunction((s, v) => {
    const p = document.querySelector(s + ' [data-testid=job-progress]');
    return p && Number(p.value) > v;
  }, { timeout: T }, sel, first);
  await page.screenshot({ path: path.join(shots, 'console-jobs.png') });
  await page.waitForSelector(`${sel}[data-status=completed]`, { timeout: 90000 });
  if ((await progress_of(page, job)) !== 1) throw new Error('a completed job is not at 100%');
  await page.click(`${sel} [data-testid=result]`);
  await wait_text(page, '[data-testid=results] table', /9000001/);
  await wait_text(page, '[data-testid=result-range]', /^rows 1–1 of 1$/);

  step('a job result in pages');
  await go(page, '#/query');
  await set_editor(page, 'aql', 'FOR i IN 1..250 RETURN {i}');
  await page.click('[data-testid=run-job]');
  // The first job's row is still listed (and completed): pick the new one.
  const other = `[data-testid=jobs] tr[data-job]:not([data-job="${job}"])`;
  await page.waitForSelector(other, { timeout: T });
  const paged = await page.$eval(other, (r) => r.dataset.job);
  const psel = `tr[data-job="${paged}"][data-status=completed] [data-testid=result]`;
  await page.waitForSelector(psel, { timeout: T });
  await page.click(psel);
  await wait_text(page, '[data-testid=result-range]', /^rows 1–100 of 250$/);
  await page.click('[data-testid=result-next]');
  await wait_text(page, '[data-testid=result-range]', /^rows 101–200 of 250$/);
  await wait_text(page, '[data-testid=results] table', /^i101102[^]*199200$/); // the cells' text
  await page.click('[data-testid=result-next]');
  await wait_text(page, '[data-testid=result-range]', /^rows 201–250 of 250$/);
  if (!(await page.$eval('[data-testid=result-next]', (b) => b.disabled))) throw new Error('a next page after the last');
  await page.click('[data-testid=result-prev]');
  await wait_text(page, '[data-testid=result-range]', /^rows 101–200 of 250$/);

  step('cancel a job');
  await go(page, '#/query');
  await set_editor(page, 'aql', 'FOR i IN 1..10000000 FOR j IN 1..1000 FILTER i == j COLLECT WITH COUNT INTO n RETURN n');
  await page.click('[data-testid=run-job]');
  await page.waitForSelector('[data-testid=jobs] tr[data-status=running], [data-testid=jobs] tr[data-status=pending]', { timeout: T });
  const long = await page.$eval('[data-testid=jobs] tr[data-status=running], [data-testid=jobs] tr[data-status=pending]', (r) => r.dataset.job);
  await page.click(`tr[data-job="${long}"] [data-testid=cancel]`);
  await page.waitForSelector(`tr[data-job="${long}"][data-status=cancelled]`, { timeout: T });

  step('the live tail shows a REST write; pause and resume lose nothing');
  await go(page, '#/changes');
  await wait_text(page, '[data-testid=tail-state]', /live/);
  await wait_text(page, '[data-testid=tail-transport]', /^WebSocket$/);
  await new Promise((r) => setTimeout(r, 500)); // the stream is open
  await rest('PUT', `/api/v1/collections/${coll}/documents/live1`, { at: 'live' });
  await page.waitForSelector('[data-testid=changes] tr[data-seq]', { timeout: T });
  await wait_text(page, '[data-testid=changes]', /live1/);
  await page.click('[data-testid=pause]');
  await wait_text(page, '[data-testid=tail-state]', /paused/);
  await rest('PUT', `/api/v1/collections/${coll}/documents/while_paused`, { at: 'paused' });
  await new Promise((r) => setTimeout(r, 500));
  if (/while_paused/.test(await text_of(page, '[data-testid=changes]')))
    throw new Error('a paused tail showed an event');
  await page.click('[data-testid=resume]');
  await wait_text(page, '[data-testid=changes]', /while_paused/);
  await page.waitForSelector('[data-testid=rate] canvas', { timeout: T });
  const keys = await page.$$eval('[data-testid=changes] tr[data-seq] td:nth-child(4)', (t) => t.map((x) => x.textContent));
  if (keys.filter((k) => k === 'live1').length !== 1) throw new Error('live1 shown ' + keys.join(','));

  step('server page: health, listeners and seven charts');
  await go(page, '#/server');
  await wait_text(page, '[data-testid=health]', /healthy/);
  await wait_text(page, '[data-testid=listeners]', /^http 127\.0\.0\.1:\d+, mqtt 127\.0\.0\.1:\d+, pg 127\.0\.0\.1:\d+/);
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 7, { timeout: T });
  await new Promise((r) => setTimeout(r, 4500)); // two more polls
  if (await page.$('[data-testid=msg-error]')) throw new Error(await text_of(page, '[data-testid=msg-error]'));
  await page.screenshot({ path: path.join(shots, 'console-server.png') });

  await more_pages(page);
  await collection_pages(page);

  step('narrow window and dark mode');
  await go(page, '#/collections');
  await page.setViewport({ width: 360, height: 700 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.waitForSelector('[data-testid=collections]', { timeout: T });
  // the list shows each collection's size from its statistics
  await wait_text(page, `tr[data-collection="${coll}"] [data-testid=size]`, /^[1-9][\d.]* (B|KiB|MiB)$/);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 360) throw new Error('the page is ' + wide + 'px wide in a 360px window');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lum = bg.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  if (lum > 200) throw new Error('dark mode background is ' + bg);
  await page.screenshot({ path: path.join(shots, 'console-narrow-dark.png') });
  for (const [hash, sel] of [['#/sql', '[data-testid=sql]'], ['#/postgres', '[data-testid=pg-sessions]'],
    ['#/mqtt', '[data-testid=mqtt-playground]'], ['#/server', '[data-testid=audit]']]) {
    await go(page, hash);
    await page.waitForSelector(sel, { timeout: T });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 360) throw new Error(`${hash} is ${w}px wide in a 360px window`);
  }
  await page.setViewport({ width: 1100, height: 720 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);

  step('a read-only key cannot save: the 403 is shown');
  await page.click('[data-testid=logout]');
  await sign_in(page, ro);
  await no_tenant_switch(page);
  await go(page, '#/docs/' + coll);
  await page.waitForSelector('button[data-key="k1"]', { timeout: T });
  await page.click('button[data-key="k1"]');
  await wait_editor(page, 'doc-editor');
  state.expected = [403];
  await set_editor(page, 'doc-editor', '{"_key": "k1", "n": 5}');
  await page.click('[data-testid=save]');
  await wait_text(page, '[data-testid=msg-error]', /403/);
  state.expected = [];
  const after = await rest('GET', `/api/v1/collections/${coll}/documents/k1`);
  if (after.n !== 99) throw new Error('the read-only save changed the document');
}

await run_in_browser(run);
