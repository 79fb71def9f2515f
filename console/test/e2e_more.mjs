// The browser test's steps for the console's third round (issue 29): the
// key kept in memory only, a collection's indexes and schema edited from
// the page, a result of more than 500 rows streamed and paged through to
// its last row, and the collections list in pages with sizes asked for
// the shown page only. Run by console_e2e.mjs signed in with the admin key.
import {
  T, api, admin, coll, go, rest, set_editor, set_input, sign_in, state, step, text_of, wait_text,
} from './e2e_util.mjs';

async function status_of(method, p, body) {
  const r = await fetch(api + p, {
    method,
    headers: { Authorization: 'Bearer ' + admin, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.status;
}

export async function memory_only(page) {
  step('the key is kept in memory only: nothing stored, a reload asks again');
  const kept = await page.evaluate(() => ({ s: sessionStorage.length, l: localStorage.length, c: document.cookie }));
  if (kept.s || kept.l || kept.c) throw new Error('the page keeps ' + JSON.stringify(kept));
  await page.reload({ waitUntil: 'load', timeout: T });
  await page.waitForSelector('input[name=key]', { timeout: T });
  if (await page.$('[data-testid=logout]')) throw new Error('still signed in after a reload');
  await sign_in(page, admin);
  await page.waitForSelector('[data-testid=collections]', { timeout: T });
}

/** On the collection's documents page with its info open. */
export async function indexes_and_schema(page) {
  const ed = '[data-testid=index-editor]';
  step('indexes: create, a unique violation refused, a background build, drop');
  await rest('PUT', `/api/v1/collections/${coll}/documents/t1`, { tag: 'x', n: 1 });
  await rest('PUT', `/api/v1/collections/${coll}/documents/t2`, { tag: 'x', n: 2 });
  await page.waitForSelector('tr[data-index="primary"]', { timeout: T });
  await set_input(page, 'input[name=index-fields]', 'n');
  await page.click('input[name=index-unique]');
  await page.click('[data-testid=index-create]');
  await wait_text(page, `${ed} [data-testid=msg-ok]`, /Created idx_n/);
  await page.waitForSelector('tr[data-index="idx_n"]', { timeout: T });
  const made = await rest('GET', `/api/v1/collections/${coll}/indexes/idx_n`);
  if (!made.unique || made.fields.join() !== 'n') throw new Error('the index made: ' + JSON.stringify(made));
  state.expected = [409];
  await set_input(page, 'input[name=index-fields]', 'tag');
  await page.click('[data-testid=index-create]');
  await wait_text(page, `${ed} [data-testid=msg-error]`, /^409: /);
  state.expected = [];
  await page.click('input[name=index-unique]'); // off again
  await page.click('input[name=index-background]');
  await set_input(page, 'input[name=index-name]', 'bg_tag');
  await page.click('[data-testid=index-create]');
  await wait_text(page, 'tr[data-index="bg_tag"] [data-testid=index-state]', /^ready$/);
  await page.click('tr[data-index="idx_n"] [data-testid=index-drop]');
  await wait_text(page, 'tr[data-index="idx_n"] [data-testid=index-drop]', /Confirm drop/);
  await page.click('tr[data-index="idx_n"] [data-testid=index-drop]');
  await page.waitForFunction(() => !document.querySelector('tr[data-index="idx_n"]'), { timeout: T });
  if ((await status_of('GET', `/api/v1/collections/${coll}/indexes/idx_n`)) !== 404)
    throw new Error('the dropped index is still there');
  await wait_text(page, '[data-testid=coll-stats]', /, 1 index$/); // the summary counts persistent/TTL ones: bg_tag

  step('schema: set from the console, enforced, a bad rule refused, removed');
  const sch = '[data-testid=schema-editor]';
  state.expected = [404];
  await page.click('[data-testid=show-schema]');
  await wait_text(page, '[data-testid=coll-schema]', /No schema/);
  state.expected = [];
  await page.click('[data-testid=edit-schema]');
  await set_input(page, 'textarea[name=schema-rule]', '{"type": "object", "properties": {"n": {"type": "integer"}}}');
  await set_input(page, 'input[name=schema-message]', 'n must be whole');
  await page.click('[data-testid=save-schema]');
  await wait_text(page, '[data-testid=coll-schema]', /"integer"[^]*n must be whole/);
  if ((await status_of('PUT', `/api/v1/collections/${coll}/documents/bad`, { n: 1.5 })) !== 400)
    throw new Error('a document breaking the schema was stored');
  await page.click('[data-testid=edit-schema]');
  await set_input(page, 'textarea[name=schema-rule]', '{"type": 5}');
  state.expected = [400];
  await page.click('[data-testid=save-schema]');
  await wait_text(page, `${sch} [data-testid=msg-error]`, /^400: /);
  state.expected = [];
  await page.click(`${sch} [data-testid=schema-form] button.link`); // Cancel
  await page.click('[data-testid=remove-schema]');
  await wait_text(page, '[data-testid=remove-schema]', /Confirm remove/);
  await page.click('[data-testid=remove-schema]');
  await wait_text(page, '[data-testid=coll-schema]', /No schema/);
  if ((await status_of('GET', `/api/v1/collections/${coll}/schema`)) !== 404)
    throw new Error('the removed schema is still there');
}

export async function streamed_result(page) {
  step('a 1,500-row result streams and pages through to its last row');
  const accepts = [];
  const seen = (r) => { if (r.url().endsWith('/api/v1/query/aql')) accepts.push(r.headers().accept); };
  page.on('request', seen);
  await go(page, '#/query');
  await set_editor(page, 'aql', 'FOR i IN 1..1500 RETURN {i, sq: i * i}');
  await set_input(page, 'textarea[name=binds]', '');
  await page.click('[data-testid=run]');
  // the reader stops a page's look-ahead beyond what is shown: more to come
  await wait_text(page, '[data-testid=rows-range]', /^rows 1–100 of \d+\+$/);
  const so_far = await text_of(page, '[data-testid=result-count]');
  const n = Number(/^(\d+) rows so far…$/.exec(so_far)?.[1]);
  if (!(n >= 100 && n < 1500)) throw new Error('read ahead: ' + so_far);
  for (let p = 2; p <= 15; p++) {
    await page.click('[data-testid=rows-next]');
    await wait_text(page, '[data-testid=rows-range]', new RegExp(`^rows ${(p - 1) * 100 + 1}–${p * 100} of`));
  }
  await wait_text(page, '[data-testid=rows-range]', /^rows 1401–1500 of 1500$/);
  await wait_text(page, '[data-testid=result-count]', /^1500 rows$/);
  await wait_text(page, '[data-testid=results] table', /^isq14011962801[^]*15002250000$/);
  if (!(await page.$eval('[data-testid=rows-next]', (b) => b.disabled))) throw new Error('a next page after the last');
  await page.click('[data-testid=rows-prev]');
  await wait_text(page, '[data-testid=rows-range]', /^rows 1301–1400 of 1500$/);
  page.off('request', seen);
  if (!accepts.length || !accepts.every((a) => a === 'application/x-ndjson'))
    throw new Error('the query was not asked for as a stream: ' + accepts.join());
}

export async function collection_pages(page) {
  step('the collections list in pages; sizes asked for the shown page only');
  const extra = Array.from({ length: 30 }, (_, i) => 'zpage_' + String(i).padStart(2, '0'));
  for (const c of extra) await rest('POST', '/api/v1/collections', { name: c });
  const asked = [];
  const seen = (r) => { if (r.url().endsWith('/statistics')) asked.push(r.url()); };
  page.on('request', seen);
  await go(page, '#/query'); // away and back: the list loads again
  await go(page, '#/collections');
  await wait_text(page, '[data-testid=coll-range]', /^collections 1–25 of \d+$/);
  const total = Number(/of (\d+)$/.exec(await text_of(page, '[data-testid=coll-range]'))[1]);
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid=size]')]
    .some((c) => c.textContent === '…'), { timeout: T });
  await new Promise((r) => setTimeout(r, 300));
  if (asked.length > 25) throw new Error(asked.length + ' statistics calls for one page of 25');
  await page.click('[data-testid=coll-next]');
  await wait_text(page, '[data-testid=coll-range]', new RegExp(`^collections 26–${Math.min(50, total)} of ${total}$`));
  await wait_text(page, 'tr[data-collection="zpage_29"] [data-testid=size]', /^0 B$/);
  page.off('request', seen);
  if (asked.length > 50) throw new Error(asked.length + ' statistics calls for two pages');
  for (const c of extra) await rest('DELETE', '/api/v1/collections/' + c);
  await page.click('[data-testid=coll-reload]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=coll-range]'), { timeout: T });
}
