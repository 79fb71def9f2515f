// Node `pg` (node-postgres) with pg-pool against a PostgreSQL server named
// by PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE: what its users do on day
// one. Run by tests/integration/test_pg_node_clients.py against themisd
// and, when one is given, a PostgreSQL 15 (the same expectations).
'use strict';
const assert = require('assert/strict');
const { Pool, Client } = require('pg');

const prefix = process.env.TABLE_PREFIX || 'nd';
const T = (n) => `${prefix}_${n}`;

async function temp_tables(pool) {
  const c = await pool.connect();
  try {
    await c.query(`CREATE TEMP TABLE ${T('tmp')} (id int PRIMARY KEY, v text)`);
    await c.query(`INSERT INTO ${T('tmp')} VALUES ($1, $2), ($3, $4)`,
                  [1, 'a', 2, 'b']);
    const r = await c.query(`SELECT v FROM ${T('tmp')} ORDER BY id`);
    assert.deepEqual(r.rows.map((x) => x.v), ['a', 'b']);
  } finally {
    c.release(true); // destroy: the temp table goes with the session
  }
  const other = await pool.connect();
  try {
    await assert.rejects(other.query(`SELECT * FROM ${T('tmp')}`),
                         (e) => e.code === '42P01');
  } finally {
    other.release();
  }
}

async function arrays(pool) {
  const r = await pool.query(
    "SELECT $1::int[] AS a, ARRAY['x', 'y z', NULL] AS t, " +
    "'{1.5,2}'::float8[] AS f, ARRAY[[1,2],[3,4]] AS m",
    [[1, 2, 3]]);
  assert.deepEqual(r.rows[0].a, [1, 2, 3]);
  assert.deepEqual(r.rows[0].t, ['x', 'y z', null]);
  assert.deepEqual(r.rows[0].f, [1.5, 2]);
  assert.deepEqual(r.rows[0].m, [[1, 2], [3, 4]]);
  await pool.query(`DROP TABLE IF EXISTS ${T('arr')}`);
  await pool.query(`CREATE TABLE ${T('arr')} (id int PRIMARY KEY, tags text[])`);
  await pool.query(`INSERT INTO ${T('arr')} VALUES (1, $1), (2, $2)`,
                   [['red', 'blue'], ['green']]);
  const q = await pool.query(
    `SELECT id FROM ${T('arr')} WHERE $1 = ANY(tags) ORDER BY id`, ['blue']);
  assert.deepEqual(q.rows, [{ id: 1 }]);
  const ids = await pool.query(
    `SELECT id, tags FROM ${T('arr')} WHERE id = ANY($1) ORDER BY id`,
    [[1, 2]]);
  assert.deepEqual(ids.rows[1].tags, ['green']);
}

async function statement_timeout(pool) {
  const c = await pool.connect();
  try {
    await c.query("SET statement_timeout = '100ms'");
    const t0 = Date.now();
    await assert.rejects(c.query('SELECT pg_sleep(5)'),
                         (e) => e.code === '57014');
    assert.ok(Date.now() - t0 < 3000, 'the timeout stopped the statement');
    await c.query('RESET statement_timeout');
    const r = await c.query('SELECT 1 AS one');
    assert.equal(r.rows[0].one, 1);
  } finally {
    c.release();
  }
}

async function cancel_backend(pool) {
  const victim = await pool.connect();
  const killer = await pool.connect();
  try {
    const pid = (await victim.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    // the outcome is taken at once: a rejection must never be unhandled
    const outcome = victim.query('SELECT pg_sleep(10)').then(() => null,
                                                             (e) => e);
    await new Promise((r) => setTimeout(r, 300));
    const ok = await killer.query('SELECT pg_cancel_backend($1) AS ok', [pid]);
    assert.equal(ok.rows[0].ok, true);
    const err = await outcome;
    assert.ok(err && err.code === '57014', `cancelled: ${err}`);
    assert.equal((await victim.query('SELECT 2 AS x')).rows[0].x, 2);
  } finally {
    victim.release();
    killer.release();
  }
}

async function notifications(pool) {
  const listener = new Client();
  await listener.connect();
  try {
    const got = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no notification')), 5000);
      listener.on('notification', (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
    await listener.query(`LISTEN ${T('chan')}`);
    await pool.query('SELECT pg_notify($1, $2)', [T('chan'), 'hello']);
    const m = await got;
    assert.equal(m.channel, T('chan'));
    assert.equal(m.payload, 'hello');
  } finally {
    await listener.end();
  }
}

async function error_fields(pool) {
  await pool.query(`DROP TABLE IF EXISTS ${T('child')}, ${T('parent')}`);
  await pool.query(`CREATE TABLE ${T('parent')} (id int PRIMARY KEY)`);
  await pool.query(`CREATE TABLE ${T('child')} (id int PRIMARY KEY, ` +
                   `pid int NOT NULL REFERENCES ${T('parent')})`);
  await pool.query(`INSERT INTO ${T('parent')} VALUES (1)`);
  await assert.rejects(pool.query(`INSERT INTO ${T('parent')} VALUES (1)`),
                       (e) => e.code === '23505' &&
                         e.constraint === `${T('parent')}_pkey` &&
                         e.table === T('parent') && e.schema === 'public');
  await assert.rejects(pool.query(`INSERT INTO ${T('child')} VALUES (1, 9)`),
                       (e) => e.code === '23503' &&
                         e.constraint === `${T('child')}_pid_fkey` &&
                         /is not present in table/.test(e.detail));
  await assert.rejects(
    pool.query(`INSERT INTO ${T('child')} VALUES (2, NULL)`),
    (e) => e.code === '23502' && e.column === 'pid' && e.table === T('child'));
  await assert.rejects(pool.query('SELEC 1'),
                       (e) => e.code === '42601' && e.position === '1');
}

async function transactions(pool) {
  await pool.query(`DROP TABLE IF EXISTS ${T('acct')}`);
  await pool.query(`CREATE TABLE ${T('acct')} (id int PRIMARY KEY, bal int)`);
  await pool.query(`INSERT INTO ${T('acct')} VALUES (1, 100), (2, 0)`);
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query(`UPDATE ${T('acct')} SET bal = bal - 30 WHERE id = 1`);
    await c.query('SAVEPOINT s1');
    await assert.rejects(c.query(`INSERT INTO ${T('acct')} VALUES (1, 5)`));
    await c.query('ROLLBACK TO SAVEPOINT s1');
    await c.query(`UPDATE ${T('acct')} SET bal = bal + 30 WHERE id = 2`);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
  const r = await pool.query(`SELECT bal FROM ${T('acct')} ORDER BY id`);
  assert.deepEqual(r.rows.map((x) => x.bal), [70, 30]);
}

const scenarios = { temp_tables, arrays, statement_timeout, cancel_backend,
                    notifications, error_fields, transactions };

async function main() {
  const pool = new Pool({ max: 4, connectionTimeoutMillis: 10000 });
  let failed = 0;
  for (const name of process.argv.slice(2).length ? process.argv.slice(2)
                                                  : Object.keys(scenarios)) {
    try {
      await scenarios[name](pool);
      console.log(`ok ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  }
  await pool.end();
  process.exit(failed ? 1 : 0);
}

setTimeout(() => {
  console.log('FAIL: timed out');
  process.exit(2);
}, 120000).unref();
main();
