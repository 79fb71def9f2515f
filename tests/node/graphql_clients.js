// GraphQL clients from npm against a real themisd (issue 21), one scenario
// per run: `node graphql_clients.js <scenario>` with GQL_URL
// (http://127.0.0.1:PORT/graphql) and optionally GQL_TOKEN (a bearer token).
// Prints "ok <scenario>" and exits 0 on success; any failed check throws.
//
//   introspect  graphql's getIntrospectionQuery over graphql-request, then
//               buildClientSchema + validateSchema (what codegen does)
//   crud        graphql-request: mutations with variables, revision
//               preconditions, fragments, aliases, lists with filter/sort
//               and cursor pages, errors with path and locations
//   subscribe   graphql-ws: live changes of a collection, then a second
//               client resuming after a sequence gets exactly the rest
'use strict';

const assert = require('assert');

const url = process.env.GQL_URL;
const token = process.env.GQL_TOKEN;
const headers = token ? { Authorization: 'Bearer ' + token } : {};

function client(GraphQLClient) {
  return new GraphQLClient(url, { headers });
}

async function expectError(promise, check) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e.response, 'a GraphQL error response, got ' + e);
    check(e.response);
    return;
  }
  assert.fail('expected an error');
}

async function introspect() {
  const { GraphQLClient } = await import('graphql-request');
  const g = require('graphql');
  const data = await client(GraphQLClient).request(g.getIntrospectionQuery({
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
    inputValueDeprecation: true,
  }));
  const schema = g.buildClientSchema(data);
  const errors = g.validateSchema(schema);
  assert.deepStrictEqual(errors.map(String), []);
  const sdl = g.printSchema(schema);
  for (const want of ['type Query', 'type Mutation', 'type Subscription',
    'scalar JSON', 'type Gqlorders', 'ordersList', 'insertGqlorders',
    'type PageInfo', 'submitJob', 'changes(']) {
    assert.ok(sdl.includes(want), 'SDL lacks ' + want);
  }
  // a document validated against the client-side schema is accepted
  const doc = g.parse('{ gqlordersList(first: 2) { totalCount } }');
  assert.deepStrictEqual(g.validate(schema, doc).map(String), []);
}

async function crud() {
  const { GraphQLClient, ClientError } = await import('graphql-request');
  const c = client(GraphQLClient);
  const ins = `mutation Ins($doc: JSON!) {
    insertGqlorders(doc: $doc) { _key _rev doc } }`;
  const a = await c.request(ins, { doc: { _key: 'n1', item: 'apple', qty: 3 } });
  assert.strictEqual(a.insertGqlorders._key, 'n1');
  const rev = a.insertGqlorders._rev;
  assert.strictEqual(a.insertGqlorders.doc.qty, 3);
  for (let i = 2; i <= 5; ++i)
    await c.request(ins, { doc: { _key: 'n' + i, item: 'it' + i, qty: i * 10 } });

  // a stale revision is refused with the field's path, data kept
  const upd = `mutation U($key: ID!, $p: JSON!, $rev: String) {
    updateGqlorders(key: $key, patch: $p, ifRev: $rev) { _rev doc } }`;
  await expectError(c.request(upd, { key: 'n1', p: { qty: 4 }, rev: 'stale' }),
    (r) => {
      assert.strictEqual(r.errors[0].extensions.code, 'PRECONDITION_FAILED');
      assert.deepStrictEqual(r.errors[0].path, ['updateGqlorders']);
      assert.ok(r.errors[0].locations[0].line >= 1);
      assert.strictEqual(r.data.updateGqlorders, null);
    });
  const u = await c.request(upd, { key: 'n1', p: { qty: 4 }, rev });
  assert.strictEqual(u.updateGqlorders.doc.qty, 4);
  assert.notStrictEqual(u.updateGqlorders._rev, rev);

  // fragments (named and inline), aliases, variables with defaults,
  // @include / @skip
  const q = `query Two($a: ID! = "n1", $b: ID!, $withDoc: Boolean!) {
    first: gqlorders(key: $a) { ...F }
    second: gqlorders(key: $b) { ... on Gqlorders { _key doc @include(if: $withDoc) } }
    missing: gqlorders(key: "nope") { _key }
    __typename
  }
  fragment F on Gqlorders { _id _key doc @skip(if: false) }`;
  const two = await c.request(q, { b: 'n2', withDoc: false });
  assert.strictEqual(two.first._id, 'gqlorders/n1');
  assert.strictEqual(two.first.doc.item, 'apple');
  assert.deepStrictEqual(two.second, { _key: 'n2' });
  assert.strictEqual(two.missing, null);
  assert.strictEqual(two.__typename, 'Query');

  // a filtered, sorted connection paged by cursors
  const list = `query L($f: JSON, $after: String) {
    gqlordersList(filter: $f, sort: [{field: "qty", direction: DESC}],
                  first: 2, after: $after) {
      totalCount
      edges { cursor node { _key } }
      pageInfo { hasNextPage endCursor }
    } }`;
  const f = { qty: { gte: 10 } };
  const p1 = await c.request(list, { f });
  assert.strictEqual(p1.gqlordersList.totalCount, 4);
  assert.deepStrictEqual(p1.gqlordersList.edges.map((e) => e.node._key),
    ['n5', 'n4']);
  assert.strictEqual(p1.gqlordersList.pageInfo.hasNextPage, true);
  const p2 = await c.request(list,
    { f, after: p1.gqlordersList.pageInfo.endCursor });
  assert.deepStrictEqual(p2.gqlordersList.edges.map((e) => e.node._key),
    ['n3', 'n2']);
  assert.strictEqual(p2.gqlordersList.pageInfo.hasNextPage, false);
  // key order (no sort): key cursors, backwards with last/before
  const keyed = await c.request(`{ gqlordersList(first: 10) {
    nodes { _key } } }`);
  assert.deepStrictEqual(keyed.gqlordersList.nodes.map((n) => n._key),
    ['n1', 'n2', 'n3', 'n4', 'n5']);
  const back = await c.request(`{ gqlordersList(last: 2) {
    nodes { _key } pageInfo { hasPreviousPage } } }`);
  assert.deepStrictEqual(back.gqlordersList.nodes.map((n) => n._key),
    ['n4', 'n5']);
  assert.strictEqual(back.gqlordersList.pageInfo.hasPreviousPage, true);

  // a bad filter is a field error (BAD_USER_INPUT), not a 500
  await expectError(c.request(`{ gqlordersList(filter: {qty: {bogus: 1}}) {
    totalCount } }`), (r) => {
    assert.strictEqual(r.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.deepStrictEqual(r.errors[0].path, ['gqlordersList']);
  });
  // the aql escape hatch (read-only) and collections
  const aq = await c.request(`query A($b: JSON) {
    aql(query: "FOR d IN gqlorders FILTER d.qty > @m SORT d._key RETURN d._key",
        bindVars: $b)
    collections { name typeName count } }`, { b: { m: 20 } });
  assert.deepStrictEqual(aq.aql, ['n3', 'n4', 'n5']);
  assert.ok(aq.collections.some((x) => x.name === 'gqlorders' && x.count === 5));
  await expectError(c.request(`{ aql(query: "INSERT {} INTO gqlorders") }`),
    (r) => assert.match(r.errors[0].message, /read-only/));

  // validation errors carry locations; graphql-request surfaces the
  // application/graphql-response+json 400
  await expectError(c.request(`{ gqlorders(key: "n1") { nope } }`), (r) => {
    assert.strictEqual(r.status, 400);
    assert.ok(r.errors[0].locations && r.errors[0].locations[0].line === 1);
  });

  // delete with a stale revision, then the current one
  const del = `mutation D($k: ID!, $r: String) {
    deleteGqlorders(key: $k, ifRev: $r) { _key deleted } }`;
  await expectError(c.request(del, { k: 'n5', r: 'stale' }), (r) =>
    assert.strictEqual(r.errors[0].extensions.code, 'PRECONDITION_FAILED'));
  const d = await c.request(del, { k: 'n5' });
  assert.deepStrictEqual(d.deleteGqlorders, { _key: 'n5', deleted: true });
  assert.ok(ClientError);
}

async function subscribe() {
  const { createClient } = await import('graphql-ws');
  const WebSocket = require('ws');
  const { GraphQLClient } = await import('graphql-request');
  const c = client(GraphQLClient);
  class AuthWS extends WebSocket {
    constructor(address, protocols) {
      super(address, protocols, { headers });
    }
  }
  const wsUrl = url.replace(/^http/, 'ws');
  const open = () => createClient({ url: wsUrl, webSocketImpl: AuthWS,
    retryAttempts: 0, lazy: false });
  const sub = `subscription S($from: String) {
    changes(collection: "gqlfeed", fromSequence: $from) {
      sequence type key document } }`;

  // 1. live: subscribe, then write, then receive in order
  const live = open();
  const got = [];
  let resolveN;
  const three = new Promise((res) => { resolveN = res; });
  const ready = new Promise((res, rej) => {
    live.on('connected', res);
    live.on('error', rej);
  });
  const unsubscribe = live.subscribe({ query: sub, variables: {} }, {
    next: (v) => {
      got.push(v.data.changes);
      if (got.length === 3) resolveN();
    },
    error: (e) => { throw new Error('subscription error ' + JSON.stringify(e)); },
    complete: () => {},
  });
  await ready;
  // the subscribe message is sent after connected; give the server a beat
  // by round-tripping a query over the same socket before writing
  await new Promise((res, rej) => live.subscribe(
    { query: '{ __typename }' }, { next: () => {}, error: rej, complete: res }));
  const ins = 'mutation I($d: JSON!) { insertGqlfeed(doc: $d) { _key } }';
  for (const k of ['s1', 's2', 's3'])
    await c.request(ins, { d: { _key: k, v: k } });
  await Promise.race([three, new Promise((_, rej) => setTimeout(
    () => rej(new Error('no live events: ' + JSON.stringify(got))), 10000))]);
  assert.deepStrictEqual(got.map((e) => e.key), ['s1', 's2', 's3']);
  assert.strictEqual(got[0].type, 'PUT');
  assert.strictEqual(got[0].document.v, 's1');
  unsubscribe();
  await live.dispose();

  // 2. resume after the first event's sequence: exactly s2 and s3
  const again = open();
  const rest = [];
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('no resumed events: ' +
      JSON.stringify(rest))), 10000);
    again.subscribe({ query: sub, variables: { from: got[0].sequence } }, {
      next: (v) => {
        rest.push(v.data.changes);
        if (rest.length === 2) { clearTimeout(t); res(); }
      },
      error: (e) => rej(new Error(JSON.stringify(e))),
      complete: () => {},
    });
  });
  assert.deepStrictEqual(rest.map((e) => e.key), ['s2', 's3']);
  assert.ok(BigInt(rest[0].sequence) > BigInt(got[0].sequence));
  await again.dispose();
}

const scenarios = { introspect, crud, subscribe };
const name = process.argv[2];
if (!scenarios[name]) {
  console.error('unknown scenario ' + name);
  process.exit(2);
}
scenarios[name]().then(() => {
  console.log('ok ' + name);
  process.exit(0);
}, (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
