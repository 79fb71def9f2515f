// @neondatabase/serverless (Neon's serverless driver: node-postgres over a
// WebSocket whose binary messages carry the raw protocol stream) against
// themisd's /pg (issue 19): node ws_pg_neon.mjs <http port> <user>
// <password>. Connects (SCRAM), runs queries, checks the answers, exits 0;
// or prints what differed and exits 1.
import { Client, neonConfig } from "@neondatabase/serverless";
import ws from "ws";

const [port, user, password] = process.argv.slice(2);
const timer = setTimeout(() => fail("timed out"), 20000);
function fail(msg) {
  console.error("FAIL: " + msg);
  process.exit(1);
}

neonConfig.webSocketConstructor = ws;
neonConfig.useSecureWebSocket = false;
neonConfig.pipelineConnect = false; // (its pipelining assumes cleartext)
neonConfig.pipelineTLS = false;
neonConfig.wsProxy = (host, p) => `127.0.0.1:${port}/pg?address=${host}:${p}`;

try {
  const c = new Client({ host: "themis", port: 5432, user, password,
                         database: "themis" });
  await c.connect();
  const r = await c.query("SELECT 1 + 1 AS two, $1::text AS echo", ["neon"]);
  if (r.rows[0].two !== 2 || r.rows[0].echo !== "neon")
    fail("rows " + JSON.stringify(r.rows));
  await c.query("CREATE TABLE IF NOT EXISTS neon_t (id int PRIMARY KEY, v text)");
  await c.query("INSERT INTO neon_t VALUES (1, 'a'), (2, 'b')");
  const r2 = await c.query("SELECT v FROM neon_t ORDER BY id");
  if (JSON.stringify(r2.rows) !== JSON.stringify([{ v: "a" }, { v: "b" }]))
    fail("rows " + JSON.stringify(r2.rows));
  // a statement too big for one WebSocket message of the client's
  const big = "x".repeat(200000);
  const r3 = await c.query("SELECT length($1::text) AS n", [big]);
  if (Number(r3.rows[0].n) !== 200000) fail("length " + JSON.stringify(r3.rows));
  await c.end();
  clearTimeout(timer);
  console.log("OK");
  process.exit(0);
} catch (e) {
  fail(String(e && e.stack ? e.stack : e));
}
