// The browser test's steps for the SQL, PostgreSQL, MQTT and server admin
// pages (issue 29), run by console_e2e.mjs signed in with the admin key.
// PG_APP names a psql session test_console.py keeps open for the
// PostgreSQL page to find and terminate.
import path from 'node:path';
import {
  T, api, coll, go, rest, set_editor, set_input, shots, state, step, text_of, wait_text,
} from './e2e_util.mjs';

async function sql_page(page) {
  step('SQL: a result table, and an error with its SQLSTATE');
  await go(page, '#/sql');
  await set_editor(page, 'sql', `SELECT _key, doc->>'n' AS n FROM ${coll} WHERE _key = 'k1'`);
  await page.click('[data-testid=sql-run]');
  await wait_text(page, '[data-testid=result-count]', /^1 row$/);
  await wait_text(page, '[data-testid=results] table', /_key.*n.*k1.*99/);
  await wait_text(page, '[data-testid=sql-stats]', /SELECT in [\d.]+ ms/);
  state.expected = [400];
  await set_editor(page, 'sql', 'SELECT * FROM no_such_table');
  await page.click('[data-testid=sql-run]');
  await wait_text(page, '[data-testid=msg-error]', /400: SQLSTATE 42P01: .*no_such_table/);
  await set_editor(page, 'sql', `DELETE FROM ${coll}`);
  await page.click('[data-testid=sql-run]');
  await wait_text(page, '[data-testid=msg-error]', /SQLSTATE 0A000/);
  state.expected = [];
  await page.screenshot({ path: path.join(shots, 'console-sql.png') });
}

async function postgres_page(page) {
  const app = process.env.PG_APP;
  if (!app) return;
  step('PostgreSQL: a live psql session is listed and terminated');
  await go(page, '#/postgres');
  await page.waitForFunction((a) => [...document.querySelectorAll('[data-testid=pg-sessions] tr[data-pid]')]
    .some((r) => r.querySelector('[data-testid=pg-app]').textContent === a), { timeout: T }, app);
  const pid = await page.$$eval('[data-testid=pg-sessions] tr[data-pid]', (rows, a) =>
    rows.find((r) => r.querySelector('[data-testid=pg-app]').textContent === a).dataset.pid, app);
  await page.screenshot({ path: path.join(shots, 'console-postgres.png') });
  const sel = `tr[data-pid="${pid}"] [data-testid=pg-terminate]`;
  await page.click(sel);
  await wait_text(page, sel, /Confirm terminate/);
  await page.click(sel);
  await wait_text(page, '[data-testid=msg-ok]', new RegExp(`pg_terminate_backend\\(${pid}\\): sent`));
  await page.waitForFunction((p) => !document.querySelector(`tr[data-pid="${p}"]`), { timeout: T }, pid);
}

async function mqtt_page(page) {
  const sub = process.env.MQTT_SUB;
  if (!sub) return;
  step('MQTT: a mosquitto_sub client is listed; publish and subscribe over WebSocket');
  await go(page, '#/mqtt');
  const row = `[data-testid=mqtt-clients] tr[data-client="${sub}"]`;
  await page.waitForSelector(row, { timeout: T });
  await wait_text(page, row, /connected.*console\/#/);
  await page.click('[data-testid=mqtt-connect]');
  await wait_text(page, '[data-testid=mqtt-state]', /^connected as console-/);
  await page.click('[data-testid=mqtt-subscribe]');
  await wait_text(page, '[data-testid=msg-ok]', /subscribed to console\/#/);
  await page.$eval('input[name=mqtt-payload]', (el) => {
    el.value = 'hello-from-the-browser';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.click('[data-testid=mqtt-playground] input[type=checkbox]');
  await page.click('[data-testid=mqtt-publish]');
  await wait_text(page, '[data-testid=mqtt-received]', /console\/test.*hello-from-the-browser/);
  // the retained message and the browser's own session show on the next poll
  await wait_text(page, '[data-testid=mqtt-retained]', /console\/test.*hello-from-the-browser/);
  await page.waitForSelector('[data-testid=mqtt-clients] tr[data-client^="console-"]', { timeout: T });
  await page.screenshot({ path: path.join(shots, 'console-mqtt.png') });
  await page.click('[data-testid=mqtt-connect]'); // disconnect
  await wait_text(page, '[data-testid=mqtt-state]', /^disconnected$/);
}

async function keys_and_audit(page) {
  step('server page: create an API key, use it, revoke it; the audit log shows both');
  await go(page, '#/server');
  await page.waitForSelector('[data-testid=keys] tr[data-key-id]', { timeout: T });
  await set_input(page, 'input[name=key-name]', 'console_made');
  await page.click('[data-testid=key-create]');
  await wait_text(page, '[data-testid=key-secret]', /thk_/);
  const secret = (await page.$eval('[data-testid=key-secret] code', (e) => e.textContent)).trim();
  await rest('GET', '/api/v1/collections', undefined, secret); // it works
  const row = 'tr[data-name="console_made"]';
  await page.waitForSelector(row, { timeout: T });
  await page.click(`${row} [data-testid=key-revoke]`);
  await wait_text(page, `${row} [data-testid=key-revoke]`, /Confirm revoke/);
  await page.click(`${row} [data-testid=key-revoke]`);
  await page.waitForSelector(`${row} [data-testid=key-revoked]`, { timeout: T });
  const after = await fetch(api + '/api/v1/collections', { headers: { Authorization: 'Bearer ' + secret } });
  if (after.status !== 401) throw new Error('a revoked key answered ' + after.status);
  await set_input(page, 'input[name=audit-action]', 'key.');
  await page.click('[data-testid=audit-filter]');
  await wait_text(page, '[data-testid=audit]', /key\.revoke.*key\.create/);
  await page.screenshot({ path: path.join(shots, 'console-admin.png'), fullPage: true });
}

async function tenant_switch(page) {
  step('a global admin switches tenant: collections are the tenant\'s');
  await go(page, '#/collections');
  await wait_text(page, '[data-testid=whoami]', /./);
  await set_input(page, 'input[name=tenant]', 'acme');
  await page.click('[data-testid=tenant-apply]');
  await wait_text(page, '[data-testid=whoami]', /@ acme/);
  await page.waitForSelector('[data-testid=collections]', { timeout: T });
  await set_input(page, 'input[name=collection]', 'in_acme');
  await page.click('[data-testid=create-collection]');
  await page.waitForSelector('tr[data-collection="in_acme"]', { timeout: T });
  if (await page.$(`tr[data-collection="${coll}"]`)) throw new Error('the global collection shown in tenant acme');
  const acme = await fetch(api + '/api/v1/collections/in_acme', {
    headers: { Authorization: 'Bearer ' + process.env.ADMIN_KEY, 'X-Tenant-ID': 'acme' },
  });
  if (acme.status !== 200) throw new Error('in_acme is not in tenant acme: ' + acme.status);
  // the live tail follows the tenant too (themis.tenant.* on its WebSocket)
  await go(page, '#/changes');
  await wait_text(page, '[data-testid=tail-transport]', /^WebSocket$/);
  await new Promise((r) => setTimeout(r, 300)); // subscribed
  await rest('PUT', `/api/v1/collections/${coll}/documents/global_write`, { at: 'global' });
  const put = await fetch(api + '/api/v1/collections/in_acme/documents/acme_write', {
    method: 'PUT', body: '{"at": "acme"}',
    headers: { Authorization: 'Bearer ' + process.env.ADMIN_KEY, 'X-Tenant-ID': 'acme', 'Content-Type': 'application/json' },
  });
  if (!put.ok) throw new Error('write in acme: ' + put.status);
  await wait_text(page, '[data-testid=changes]', /acme_write/);
  if (/global_write/.test(await text_of(page, '[data-testid=changes]')))
    throw new Error('a global write shown in tenant acme\'s tail');
  await go(page, '#/collections');
  await set_input(page, 'input[name=tenant]', '');
  await page.click('[data-testid=tenant-apply]');
  await page.waitForFunction(() => {
    const w = document.querySelector('[data-testid=whoami]');
    return w && !/@/.test(w.textContent);
  }, { timeout: T });
  await page.waitForSelector(`tr[data-collection="${coll}"]`, { timeout: T });
}

/** A key that is no global admin sees who it is and no tenant switch. */
export async function no_tenant_switch(page) {
  step('a read-only key: identity shown, no tenant switch');
  await wait_text(page, '[data-testid=whoami]', /./);
  if (await page.$('[data-testid=tenant-switch]')) throw new Error('a read-only key may switch tenants');
}

export async function more_pages(page) {
  await sql_page(page);
  await postgres_page(page);
  await mqtt_page(page);
  await keys_and_audit(page);
  await tenant_switch(page);
}
