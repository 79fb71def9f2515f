// arangojs (the official ArangoDB driver, pinned in package.json) against
// themisd's ArangoDB HTTP API subset (issue 22): what an AQL user does on
// day one. Run by tests/integration/test_arango_api.py with ARANGO_URL and
// bearer tokens: ARANGO_ROOT (global admin), ARANGO_ACME / ARANGO_BETA
// (users of tenants acme and beta). Each scenario prints "ok <name>".
import assert from 'node:assert/strict';
import { Database, aql } from 'arangojs';

const url = process.env.ARANGO_URL;
const prefix = process.env.COLL_PREFIX || 'aj';
const C = (n) => `${prefix}_${n}`;

function db(token, name = '_system') {
  return new Database({ url, databaseName: name, auth: { token } });
}

/// Asserts that `p` rejects with an ArangoError of `errorNum` and `code`.
async function rejectsWith(p, errorNum, code) {
  await assert.rejects(p, (e) => {
    assert.equal(e.isArangoError, true, String(e));
    assert.equal(e.errorNum, errorNum, e.message);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

async function connect() {
  const v = await db(process.env.ARANGO_ROOT).version();
  assert.equal(v.server, 'arango');
  assert.match(v.version, /^3\.11\./);
  const info = await db(process.env.ARANGO_ACME).get();
  assert.equal(info.name, 'acme');
}

async function documents() {
  const d = db(process.env.ARANGO_ROOT);
  const coll = d.collection(C('people'));
  assert.equal(await coll.exists(), false);
  await coll.create();
  assert.equal(await coll.exists(), true);
  await rejectsWith(coll.create(), 1207, 409);

  const meta = await coll.save({ _key: 'ann', x: 1, tags: { a: 1 } },
                               { returnNew: true });
  assert.equal(meta._id, `${C('people')}/ann`);
  assert.equal(meta._key, 'ann');
  assert.equal(meta.new.x, 1);
  const rev1 = meta._rev;
  const got = await coll.document('ann');
  assert.equal(got._id, `${C('people')}/ann`);
  assert.equal(got._rev, rev1);
  assert.equal(await coll.documentExists('ann'), true);
  assert.equal(await coll.documentExists('nobody'), false);

  // update merges (mergeObjects) and keeps nulls by default
  const up = await coll.update('ann', { y: 2, tags: { b: 2 }, gone: null },
                               { returnOld: true, returnNew: true });
  assert.equal(up._oldRev, rev1);
  assert.notEqual(up._rev, rev1);
  assert.equal(up.old.y, undefined);
  assert.deepEqual(up.new.tags, { a: 1, b: 2 });
  assert.equal(up.new.x, 1);
  assert.equal(up.new.gone, null);
  const noNull = await coll.update('ann', { gone: null },
                                   { keepNull: false, returnNew: true });
  assert.equal('gone' in noNull.new, false);
  const noMerge = await coll.update('ann', { tags: { c: 3 } },
                                    { mergeObjects: false, returnNew: true });
  assert.deepEqual(noMerge.new.tags, { c: 3 });

  // revision preconditions: 412 errorNum 1200
  await rejectsWith(coll.update('ann', { z: 1 }, { ifMatch: rev1 }), 1200,
                    412);
  await rejectsWith(coll.replace('ann', { z: 1 }, { ifMatch: rev1 }), 1200,
                    412);
  await rejectsWith(coll.remove('ann', { ifMatch: rev1 }), 1200, 412);
  await rejectsWith(coll.document('ann', { ifMatch: rev1 }), 1200, 412);

  const rep = await coll.replace('ann', { z: 3 },
                                 { ifMatch: noMerge._rev, returnNew: true });
  assert.deepEqual(Object.keys(rep.new).filter((k) => !k.startsWith('_')),
                   ['z']);
  const rm = await coll.remove('ann', { ifMatch: rep._rev, returnOld: true });
  assert.equal(rm.old.z, 3);
  await rejectsWith(coll.document('ann'), 1202, 404);
  assert.equal(await coll.document('ann', { graceful: true }), null);

  // unique key: 409 errorNum 1210; a missing collection: 404 errorNum 1203
  await coll.save({ _key: 'bob' });
  await rejectsWith(coll.save({ _key: 'bob' }), 1210, 409);
  await rejectsWith(d.collection(C('missing')).save({}), 1203, 404);
  await rejectsWith(d.collection(C('missing')).document('x'), 1203, 404);

  // overwriteMode on insert
  const ow = await coll.save({ _key: 'bob', v: 2 },
                             { overwriteMode: 'update', returnNew: true });
  assert.equal(ow.new.v, 2);
  const ig = await coll.save({ _key: 'bob', v: 3 },
                             { overwriteMode: 'ignore' });
  assert.equal(ig._rev, ow._rev);
  const rp = await coll.save({ _key: 'bob', w: 1 },
                             { overwriteMode: 'replace', returnOld: true,
                               returnNew: true });
  assert.equal(rp.old.v, 2);
  assert.equal(rp.new.v, undefined);

  // arrays: one entry per document, errors inline
  const many = await coll.saveAll([{ _key: 'c1' }, { _key: 'bob' },
                                   { _key: 'c2', n: 1 }]);
  assert.equal(many.length, 3);
  assert.equal(many[0]._key, 'c1');
  assert.equal(many[1].error, true);
  assert.equal(many[1].errorNum, 1210);
  assert.equal(many[2]._key, 'c2');
  const docs = await coll.documents(['c1', 'c2']);
  assert.deepEqual(docs.map((x) => x._key), ['c1', 'c2']);
  await coll.save({ quiet: true }, { silent: true });
  // ann was removed: bob, c1, c2 and the silent one
  assert.equal(await coll.count().then((r) => r.count), 4);
}

async function queries() {
  const d = db(process.env.ARANGO_ROOT);
  const coll = d.collection(C('nums'));
  await coll.create();
  await coll.saveAll([1, 2, 3, 4, 5, 6, 7].map((x) => ({ _key: `k${x}`, x })));
  const n = 2;
  const cursor = await d.query(
    aql`FOR d IN ${coll} FILTER d.x > ${n} SORT d.x RETURN d`,
    { batchSize: 2, count: true });
  assert.equal(cursor.count, 5);
  assert.equal(cursor.batches.hasMore, true);
  const seen = [];
  for await (const doc of cursor)
    seen.push(doc.x);
  assert.deepEqual(seen, [3, 4, 5, 6, 7]);
  assert.equal(cursor.hasNext, false);

  // batches one by one, then the cursor killed half-way
  const c2 = await d.query(aql`FOR d IN ${coll} SORT d.x RETURN d.x`,
                           { batchSize: 3 });
  assert.equal(c2.count, undefined); // not asked for
  assert.deepEqual(await c2.batches.next(), [1, 2, 3]);
  assert.deepEqual(await c2.batches.next(), [4, 5, 6]);
  const id = c2.batches.id;
  assert.ok(/^[0-9a-f]{32}$/.test(id), id);
  await c2.kill();
  await rejectsWith(
    d.request({ method: 'POST', pathname: `/_api/cursor/${id}` }), 1600, 404);

  // stats as ArangoDB reports them
  const c3 = await d.query(aql`FOR d IN ${coll} RETURN 1`);
  assert.equal(c3.extra.stats.scannedFull, 7);
  assert.deepEqual(c3.extra.warnings, []);
  assert.deepEqual(await c3.all(), [1, 1, 1, 1, 1, 1, 1]);

  // writes through AQL, bindVars, errors
  await d.query(aql`FOR d IN ${coll} FILTER d.x == 7 REMOVE d IN ${coll}`);
  assert.equal((await coll.count()).count, 6);
  await rejectsWith(d.query('FOR d IN'), 1501, 400);
  await rejectsWith(d.query('FOR d IN @@c RETURN d', { '@c': C('nope') }),
                    1203, 404);
  await rejectsWith(d.query('RETURN NO_SUCH_FN(1)'), 1540, 400);
}

async function imports() {
  const d = db(process.env.ARANGO_ROOT);
  const coll = d.collection(C('imp'));
  await coll.create();
  let r = await coll.import([{ _key: 'i1', v: 1 }, { _key: 'i2', v: 2 },
                             { _key: 'i3' }]);
  assert.equal(r.created, 3);
  assert.equal(r.errors, 0);
  r = await coll.import([{ _key: 'i1', v: 9 }, { _key: 'i4' }],
                        { details: true });
  assert.equal(r.created, 1);
  assert.equal(r.errors, 1);
  assert.equal(r.details.length, 1);
  assert.match(r.details[0], /unique constraint/);
  r = await coll.import([{ _key: 'i1', w: 1 }], { onDuplicate: 'update' });
  assert.equal(r.updated, 1);
  assert.deepEqual(await coll.document('i1').then((x) => [x.v, x.w]), [1, 1]);
  r = await coll.import([{ _key: 'i2', w: 1 }], { onDuplicate: 'ignore' });
  assert.equal(r.ignored, 1);
  r = await coll.import([{ _key: 'i2', w: 2 }], { onDuplicate: 'replace' });
  assert.equal(r.updated, 1);
  assert.equal((await coll.document('i2')).v, undefined);
  // complete: all or nothing
  await rejectsWith(coll.import([{ _key: 'i9' }, { _key: 'i1' }],
                                { complete: true }), 1210, 409);
  assert.equal(await coll.documentExists('i9'), false);
  assert.equal((await coll.count()).count, 4);
}

async function collections() {
  const d = db(process.env.ARANGO_ROOT);
  const coll = d.collection(C('coll'));
  const created = await coll.create({ waitForSync: false });
  assert.equal(created.name, C('coll'));
  assert.equal(created.type, 2);
  await coll.saveAll([{ a: 1 }, { a: 2 }]);
  const props = await coll.properties();
  assert.equal(props.keyOptions.allowUserKeys, true);
  assert.equal((await coll.count()).count, 2);
  const fig = await coll.figures();
  assert.equal(fig.count, 2);
  assert.ok(fig.figures);
  const names = (await d.listCollections()).map((c) => c.name);
  assert.ok(names.includes(C('coll')), names.join(','));
  await coll.truncate();
  assert.equal((await coll.count()).count, 0);
  await rejectsWith(d.collection(C('edges')).create({ type: 3 }), 9, 501);
  // indexes: the primary index always; persistent ones are themisd's own
  // (built in the background when asked); geo is not there
  const made = await coll.ensureIndex({ type: 'persistent', fields: ['a'],
                                        name: 'by_a', inBackground: true });
  assert.equal(made.isNewlyCreated, true);
  assert.equal(made.id, C('coll') + '/by_a');
  const idx = await coll.indexes();
  assert.equal(idx[0].type, 'primary');
  assert.deepEqual(idx.map((i) => i.name), ['primary', 'by_a']);
  await rejectsWith(coll.ensureIndex({ type: 'geo', fields: ['a'] }), 9, 501);
  await coll.dropIndex('by_a');
  await coll.drop();
  assert.equal(await coll.exists(), false);
  await rejectsWith(coll.drop(), 1203, 404);
}

async function tenants() {
  const acme = db(process.env.ARANGO_ACME);
  const beta = db(process.env.ARANGO_BETA);
  const orders = acme.collection(C('orders'));
  await orders.create();
  await orders.save({ _key: 'o1', total: 5 });
  // the same name in beta's namespace is another (missing) collection
  assert.equal(await beta.collection(C('orders')).exists(), false);
  await rejectsWith(beta.collection(C('orders')).document('o1'), 1203, 404);
  const rows = await beta.query(
    'FOR c IN @@c RETURN c', { '@c': C('orders') }).catch((e) => e);
  assert.equal(rows.errorNum, 1203);
  // /_db/acme: the tenant's own database works, another tenant's does not
  const acmeByName = db(process.env.ARANGO_ACME, 'acme');
  assert.equal((await acmeByName.collection(C('orders')).count()).count, 1);
  const betaInAcme = db(process.env.ARANGO_BETA, 'acme');
  await rejectsWith(betaInAcme.collection(C('orders')).count(), 1228, 404);
  await rejectsWith(betaInAcme.version(), 1228, 404);
  // a global admin may enter a tenant's database by its name
  const rootInAcme = db(process.env.ARANGO_ROOT, 'acme');
  assert.equal((await rootInAcme.collection(C('orders')).document('o1')).total,
               5);
  // a cursor of acme's is not beta's
  const cur = await acme.query(
    'FOR i IN 1..10 RETURN i', {}, { batchSize: 2 });
  await rejectsWith(beta.request({ method: 'POST',
                                   pathname: `/_api/cursor/${cur.batches.id}` }),
                    1600, 404);
  assert.equal((await cur.all()).length, 10);
}

const scenarios = { connect, documents, queries, imports, collections,
                    tenants };
const name = process.argv[2];
if (!scenarios[name]) {
  console.error(`unknown scenario ${name}`);
  process.exit(2);
}
try {
  await scenarios[name]();
  console.log(`ok ${name}`);
} catch (e) {
  console.error(e);
  process.exit(1);
}
