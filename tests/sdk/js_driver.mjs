// Run ThemisDB's JavaScript SDK (clients/javascript, unchanged, built with its
// own tsc into its dist/) against a themisd.
//
// Usage: node js_driver.mjs SDK_DIST_INDEX_JS BASE_URL
// Prints one line per SDK call: "js <call>: PASS|FAIL <detail>"; for a FAIL
// the last HTTP exchanges the SDK made follow, indented.  Node >= 18 (global
// fetch).  Not part of ctest.
import { pathToFileURL } from "node:url";

const [sdkPath, baseArg] = process.argv.slice(2);
const base = baseArg.replace(/\/$/, "");
const sdk = await import(pathToFileURL(sdkPath).href);
const { ThemisClient, TransactionError } = sdk;

// Observe the SDK's HTTP traffic by wrapping the global fetch it calls.
const LAST = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const resp = await realFetch(url, init);
  const text = await resp.clone().text().catch((e) => `<unreadable: ${e}>`);
  const h = init.headers || {};
  LAST.push({ method: init.method, url: String(url), txid: h["X-Transaction-Id"], body: init.body, status: resp.status, resp: text });
  LAST.splice(0, Math.max(0, LAST.length - 4));
  return resp;
};
const show = (ex) =>
  `${ex.method} ${ex.url}${ex.txid ? ` [X-Transaction-Id: ${ex.txid}]` : ""}${ex.body ? " " + ex.body : ""} -> ${ex.status} ${ex.resp.slice(0, 400)}`;

const results = [];
async function check(name, fn) {
  LAST.length = 0;
  let ok, detail;
  try {
    [ok, detail] = await fn();
  } catch (e) {
    ok = false;
    detail = `${e?.name ?? "Error"}: ${e?.message ?? e}`;
  }
  detail = String(detail).split("\n")[0];
  results.push([name, ok]);
  console.log(`js ${name}: ${ok ? "PASS" : "FAIL"} ${detail}`);
  if (!ok) for (const ex of LAST.slice(-2)) console.log(`    ${show(ex)}`);
}
const J = (v) => JSON.stringify(v) ?? String(v);
const eq = (a, b) => J(a) === J(b);

const run = Math.random().toString(16).slice(2, 10);
const COLL = `users_${run}`;
const AQLC = `relational__default__${COLL}`;
const BIND = `relational.default.${COLL}`;
const c = new ThemisClient({ endpoints: [base], timeoutMs: 10000, maxRetries: 1 });
const S = {};

const calls = [
  ["health", async () => { const h = await c.health(); return [h.status === "healthy" || h.status === "ok", J(h)]; }],
  ["put", async () => { const r = await c.put("relational", COLL, "1", { name: "Alice", age: 30 }); return [r === true, `returned ${r}`]; }],
  ["get", async () => { const r = await c.get("relational", COLL, "1"); return [r?.name === "Alice" && r?.age === 30, `returned ${J(r)}`]; }],
  ["put (overwrite)", async () => {
    const r = await c.put("relational", COLL, "1", { name: "Alice", age: 31 });
    const g = await c.get("relational", COLL, "1");
    return [r === true && g?.age === 31, `put ${r}, get ${J(g)}`];
  }],
  ["put/get (string payload)", async () => {
    const r = await c.put("relational", COLL, "s", "plain text");
    const g = await c.get("relational", COLL, "s");
    await c.delete("relational", COLL, "s");
    return [r === true && g === "plain text", `put ${r}, get ${J(g)}`];
  }],
  ["put/get (JSON array payload)", async () => {
    const r = await c.put("relational", COLL, "arr", [1, 2, 3]);
    const g = await c.get("relational", COLL, "arr");
    await c.delete("relational", COLL, "arr");
    return [r === true && eq(g, [1, 2, 3]), `put ${r}, get ${J(g)}`];
  }],
  ["get (missing)", async () => { const r = await c.get("relational", COLL, "nope"); return [r === null, `returned ${J(r)}`]; }],
  ["delete", async () => {
    await c.put("relational", COLL, "d1", { x: 1 });
    const r = await c.delete("relational", COLL, "d1");
    const g = await c.get("relational", COLL, "d1");
    return [r === true && g === null, `delete ${r}, get after ${J(g)}`];
  }],
  ["delete (missing)", async () => { const r = await c.delete("relational", COLL, "never"); return [typeof r === "boolean", `returned ${r} (no exception)`]; }],
  ["batchGet", async () => {
    for (let i = 0; i < 6; i++) await c.put("relational", COLL, `b${i}`, { name: `user${i}`, age: 20 + i });
    const r = await c.batchGet("relational", COLL, ["b0", "b1", "b2", "nope1", "nope2"]);
    const ok = eq(Object.keys(r.found).sort(), ["b0", "b1", "b2"]) && eq(r.missing.sort(), ["nope1", "nope2"]) && Object.keys(r.errors).length === 0;
    return [ok, `found=${J(Object.keys(r.found))} missing=${J(r.missing)} errors=${J(r.errors)}`];
  }],
  ["query", async () => {
    const r = await c.query(`FOR u IN ${AQLC} RETURN u`);
    return [r.items.length === 7, `${r.items.length} items, raw.count=${r.raw.count}`];
  }],
  ["query (params)", async () => {
    const r = await c.query(`FOR u IN ${AQLC} FILTER u.age >= @min SORT u.age RETURN u.name`, { params: { min: 23 } });
    return [eq(r.items, ["user3", "user4", "user5", "Alice"]), `items=${J(r.items)}`];
  }],
  ["query (@@collection bind)", async () => {
    const r = await c.query("FOR u IN @@c FILTER u.name == @n RETURN u", { params: { "@c": BIND, n: "Alice" } });
    return [r.items.length === 1 && r.items[0]?.age === 31, `items=${J(r.items).slice(0, 200)}`];
  }],
  ["query (useCursor/batchSize/cursor, SORTed)", async () => {
    const q = `FOR u IN ${AQLC} SORT u.age DESC RETURN u.age`;
    const seen = []; let cursor; let pages = 0;
    for (;;) {
      const r = await c.query(q, { useCursor: true, batchSize: 3, cursor });
      pages++; seen.push(...r.items);
      if (!r.hasMore) break;
      cursor = r.nextCursor;
      if (!cursor || pages > 10) return [false, `has_more without next_cursor / runaway after ${pages} pages`];
    }
    return [eq(seen, [31, 25, 24, 23, 22, 21, 20]) && pages === 3, `${pages} pages, items=${J(seen)}`];
  }],
  ["vectorSearch", async () => {
    const r = await c.vectorSearch([0.1, 0.2, 0.3], { topK: 3, filter: { k: "v" } });
    const st = LAST.map((e) => e.status).filter((s, i) => LAST[i].url.endsWith("/vector/search"));
    // vectorSearch drops non-2xx answers and returns {results: []}.
    return [st.length > 0 && st.every((s) => s === 200) && ("results" in r || "items" in r), `returned ${J(r).slice(0, 200)}, server status ${J(st)}`];
  }],
  ["vectorSearch (useCursor)", async () => {
    const r = await c.vectorSearch([0.1, 0.2, 0.3], { topK: 2, useCursor: true });
    const st = LAST.map((e) => e.status).filter((s, i) => LAST[i].url.endsWith("/vector/search"));
    return [st.length > 0 && st.every((s) => s === 200) && ("results" in r || "items" in r), `returned ${J(r).slice(0, 200)}, server status ${J(st)}`];
  }],
  ["beginTransaction READ_COMMITTED", async () => {
    S.rc = await c.beginTransaction({ isolationLevel: "READ_COMMITTED", timeout: 30 });
    return [!!S.rc.transactionId && S.rc.isActive, `transactionId=${S.rc.transactionId}`];
  }],
  ["Transaction.put", async () => { const r = await S.rc.put("relational", COLL, "t1", { name: "Tx", age: 50 }); return [r === true, `returned ${r}`]; }],
  ["Transaction.get (own write)", async () => { const r = await S.rc.get("relational", COLL, "t1"); return [r?.age === 50, `returned ${J(r)}`]; }],
  ["get outside tx (no dirty read)", async () => { const r = await c.get("relational", COLL, "t1"); return [r === null, `outside get returned ${J(r)}`]; }],
  ["Transaction.query (params)", async () => {
    const r = await S.rc.query(`FOR u IN ${AQLC} FILTER u.age >= @a SORT u.age RETURN u.name`, { params: { a: 31 } });
    return [eq(r.items, ["Alice", "Tx"]), `items=${J(r.items)}`];
  }],
  ["Transaction.query (cursor)", async () => {
    const q = `FOR u IN ${AQLC} SORT u.age RETURN u.age`;
    const seen = []; let cursor; let pages = 0;
    for (;;) {
      const r = await S.rc.query(q, { useCursor: true, batchSize: 4, cursor });
      pages++; seen.push(...r.items);
      if (!r.hasMore || pages > 10) break;
      cursor = r.nextCursor;
    }
    return [eq(seen, [20, 21, 22, 23, 24, 25, 31, 50]), `${pages} pages, items=${J(seen)}`];
  }],
  ["Transaction.delete", async () => {
    const r = await S.rc.delete("relational", COLL, "b5");
    const inside = await S.rc.get("relational", COLL, "b5");
    const outside = await c.get("relational", COLL, "b5");
    return [r === true && inside === null && outside?.age === 25, `delete ${r}, inside get ${J(inside)}, outside get ${J(outside)}`];
  }],
  ["Transaction.commit", async () => {
    await S.rc.commit();
    const a = await c.get("relational", COLL, "t1");
    const b = await c.get("relational", COLL, "b5");
    return [!S.rc.isActive && a?.age === 50 && b === null, `after commit: t1=${J(a)}, b5=${J(b)}`];
  }],
  ["Transaction use after commit", async () => {
    try { await S.rc.put("relational", COLL, "zz", {}); } catch (e) { return [e instanceof TransactionError, `${e.name}: ${e.message}`]; }
    return [false, "no error"];
  }],
  ["beginTransaction SNAPSHOT", async () => {
    S.snap = await c.beginTransaction({ isolationLevel: "SNAPSHOT" });
    return [!!S.snap.transactionId, `transactionId=${S.snap.transactionId}`];
  }],
  ["SNAPSHOT read isolation", async () => {
    const before = await S.snap.get("relational", COLL, "b0");
    await c.put("relational", COLL, "b0", { name: "user0", age: 99 });
    const after = await S.snap.get("relational", COLL, "b0");
    return [before?.age === 20 && after?.age === 20, `inside before=${J(before)}, after outside write=${J(after)}`];
  }],
  ["Transaction.put/delete/get (snapshot)", async () => {
    const p = await S.snap.put("relational", COLL, "r1", { name: "Rolled", age: 1 });
    const d = await S.snap.delete("relational", COLL, "b1");
    const own = await S.snap.get("relational", COLL, "r1");
    return [p === true && d === true && own?.age === 1, `put ${p}, delete ${d}, own read ${J(own)}`];
  }],
  ["Transaction.rollback (discards)", async () => {
    await S.snap.rollback();
    const r1 = await c.get("relational", COLL, "r1");
    const b1 = await c.get("relational", COLL, "b1");
    return [!S.snap.isActive && r1 === null && b1?.age === 21, `after rollback: r1=${J(r1)}, b1=${J(b1)}`];
  }],
  ["Transaction use after rollback", async () => {
    try { await S.snap.commit(); } catch (e) { return [e instanceof TransactionError, `${e.name}: ${e.message}`]; }
    return [false, "no error"];
  }],
  ["beginTransaction (no options) + commit", async () => {
    const tx = await c.beginTransaction();
    await tx.put("relational", COLL, "n1", { age: 70 });
    await tx.commit();
    const r = await c.get("relational", COLL, "n1");
    return [r?.age === 70, `after commit n1=${J(r)}`];
  }],
];

console.log(`# ThemisDB JavaScript SDK (${sdk.version}) from ${sdkPath} against ${base}`);
for (const [name, fn] of calls) await check(name, fn);
const fails = results.filter(([, ok]) => !ok).length;
console.log(`# js: ${results.length - fails} PASS, ${fails} FAIL of ${results.length}`);
process.exit(Math.min(fails, 100));
