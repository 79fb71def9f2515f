// MCP scenarios against a real themisd with the official TypeScript SDK
// client (Client + StreamableHTTPClientTransport), driven by
// tests/integration/test_mcp.py: `node mcp_client.mjs <scenario>`.
// Environment: MCP_URL (http://host:port/mcp), MCP_TOKEN (optional bearer),
// MCP_TOKEN_B (a second tenant's token), MCP_REST (http://host:port).
// Prints "ok <scenario>" and exits 0, or prints the failure and exits 1.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const URL_ = process.env.MCP_URL;
const REST = process.env.MCP_REST;

function check(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
}

async function connect(token, name = "themis-test") {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const transport = new StreamableHTTPClientTransport(new URL(URL_), {
    requestInit: { headers },
  });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function rest(method, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const r = await fetch(REST + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.text() };
}

function withTimeout(p, ms, what) {
  return Promise.race([
    p,
    new Promise((_, rej) => setTimeout(() => rej(new Error("timeout: " + what)), ms)),
  ]);
}

const call = (client, name, args, opts) =>
  client.callTool({ name, arguments: args }, undefined, opts);

const scenarios = {
  // every tool listed with schemas, and every tool called
  async tools() {
    const { client } = await connect(process.env.MCP_TOKEN);
    const v = client.getServerVersion();
    check(v.name === "themisd", "server name " + JSON.stringify(v));
    const caps = client.getServerCapabilities();
    check(caps.tools && caps.resources?.subscribe && caps.prompts, "capabilities");
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    const want = ["aql_query", "delete_document", "describe_collection",
      "get_document", "job_result", "job_status", "list_collections",
      "put_document", "recent_changes", "sql_query", "submit_job"];
    check(JSON.stringify(names) === JSON.stringify(want), "tool names " + names);
    for (const t of tools) {
      check(t.inputSchema?.type === "object", t.name + " inputSchema");
      check(t.annotations && typeof t.annotations.readOnlyHint === "boolean",
        t.name + " annotations");
    }
    const put = tools.find((t) => t.name === "put_document");
    check(put.annotations.readOnlyHint === false && put.annotations.destructiveHint === true,
      "put_document annotations");
    let r = await call(client, "put_document",
      { collection: "mcp_books", key: "b1", document: { title: "Dune", year: 1965 } });
    check(!r.isError && r.structuredContent._key === "b1" && r.structuredContent.created,
      "put_document " + JSON.stringify(r));
    r = await call(client, "put_document",
      { collection: "mcp_books", document: { title: "Solaris", year: 1961 } });
    check(!r.isError && r.structuredContent._key, "insert without key");
    const rev = (await call(client, "get_document", { collection: "mcp_books", key: "b1" }))
      .structuredContent.document._rev;
    r = await call(client, "put_document",
      { collection: "mcp_books", key: "b1", document: { title: "Dune", year: 1966 }, if_match: "nope" });
    check(r.isError, "if_match mismatch is a tool error");
    r = await call(client, "put_document",
      { collection: "mcp_books", key: "b1", document: { title: "Dune", year: 1965 }, if_match: rev });
    check(!r.isError && r.structuredContent.created === false, "if_match match");
    r = await call(client, "get_document", { collection: "mcp_books", key: "b1" });
    check(r.structuredContent.document.title === "Dune", "get_document");
    check(r.content[0].type === "text" && JSON.parse(r.content[0].text).document, "text content");
    r = await call(client, "get_document", { collection: "mcp_books", key: "zz" });
    check(r.isError && /not found/.test(r.content[0].text), "missing document");
    r = await call(client, "list_collections", {});
    check(r.structuredContent.collections.some((c) => c.name === "mcp_books" && c.count === 2),
      "list_collections " + JSON.stringify(r.structuredContent));
    r = await call(client, "describe_collection", { name: "mcp_books", sample: 1 });
    check(r.structuredContent.count === 2 && r.structuredContent.sample.length === 1 &&
      r.structuredContent.fields.year.includes("integer"), "describe_collection");
    r = await call(client, "aql_query", {
      query: "FOR b IN mcp_books FILTER b.year < @y SORT b.year RETURN b.title",
      bindVars: { y: 2000 },
    });
    check(JSON.stringify(r.structuredContent.rows) === '["Solaris","Dune"]', "aql rows " + JSON.stringify(r));
    r = await call(client, "aql_query", { query: "FOR i IN 1..50 RETURN i", maxRows: 5 });
    check(r.structuredContent.rows.length === 5 && r.structuredContent.count === 50 &&
      r.structuredContent.truncated === true, "bounded rows");
    r = await call(client, "aql_query", { query: "FOR b IN RETURN" });
    check(r.isError && /AQL/.test(r.content[0].text), "aql syntax error");
    r = await call(client, "sql_query",
      { sql: "SELECT _key, doc->>'title' AS title, (doc->>'year')::int AS year FROM mcp_books ORDER BY year" });
    check(!r.isError && JSON.stringify(r.structuredContent.rows) ===
      '[{"_key":' + JSON.stringify(r.structuredContent.rows[0]._key) +
      ',"title":"Solaris","year":1961},{"_key":"b1","title":"Dune","year":1965}]',
      "sql_query rows " + JSON.stringify(r));
    check(JSON.stringify(r.structuredContent.columns) === '["_key","title","year"]', "sql columns");
    r = await call(client, "sql_query", { sql: "SELECT generate_series(1, 50) AS n", maxRows: 3 });
    check(r.structuredContent.rows.length === 3 && r.structuredContent.truncated, "sql bounded rows " + JSON.stringify(r));
    for (const bad of ["DELETE FROM mcp_books", "SELECT 1; SELECT 2", "SET x = 1",
                       "SELECT * FROM mcp_books FOR UPDATE", "SELEC 1", "SELECT * FROM no_such_table"]) {
      r = await call(client, "sql_query", { sql: bad });
      check(r.isError, "sql refused: " + bad + " " + JSON.stringify(r));
    }
    r = await call(client, "submit_job", { query: "FOR i IN 1..10 RETURN i * 2", wait: true });
    check(!r.isError && r.structuredContent.status === "completed", "submit_job wait " + JSON.stringify(r));
    const id = r.structuredContent.job_id;
    r = await call(client, "job_status", { job_id: id });
    check(r.structuredContent.status === "completed", "job_status");
    r = await call(client, "job_result", { job_id: id, page_size: 4 });
    check(JSON.stringify(r.structuredContent.rows ?? r.structuredContent.result ?? r.structuredContent.items)
      .startsWith("[2,4,6,8"), "job_result " + JSON.stringify(r.structuredContent));
    r = await call(client, "job_status", { job_id: "no-such-job" });
    check(r.isError, "unknown job");
    r = await call(client, "recent_changes", { limit: 10, collection: "mcp_books" });
    check(r.structuredContent.events.length >= 3 &&
      r.structuredContent.events.every((e) => e.collection === "mcp_books"), "recent_changes");
    r = await call(client, "delete_document", { collection: "mcp_books", key: "b1" });
    check(!r.isError && r.structuredContent.deleted, "delete_document");
    r = await call(client, "recent_changes", { after: r.structuredContent ? 0 : 0, limit: 1000 });
    check(r.structuredContent.events.some((e) => e.type === "DELETE" && e.key === "b1"), "delete in feed");
    r = await call(client, "put_document", { collection: "mcp_books" });
    check(r.isError && /document/.test(r.content[0].text), "missing argument");
    let threw = false;
    try { await call(client, "no_such_tool", {}); } catch (e) { threw = /-32602|unknown tool/.test(String(e)); }
    check(threw, "unknown tool is a protocol error");
    await client.ping();
    // prompts and completions
    const { prompts } = await client.listPrompts();
    check(prompts.map((p) => p.name).sort().join() === "explain_collection,write_aql_query", "prompts");
    const p = await client.getPrompt({ name: "explain_collection", arguments: { collection: "mcp_books" } });
    check(/mcp_books/.test(p.messages[0].content.text), "prompt text");
    const p2 = await client.getPrompt({ name: "write_aql_query", arguments: { task: "count books", collection: "mcp_books" } });
    check(/count books/.test(p2.messages[0].content.text), "write_aql_query prompt");
    const comp = await client.complete({ ref: { type: "ref/prompt", name: "explain_collection" },
      argument: { name: "collection", value: "mcp_b" } });
    check(comp.completion.values.includes("mcp_books"), "completion");
    await client.setLoggingLevel("warning");
    await client.close();
  },

  // resources: list, templates, read, subscribe → update after a REST write
  async resources() {
    const token = process.env.MCP_TOKEN;
    const { client } = await connect(token);
    await rest("POST", "/v1/collections", { name: "mcp_res" }, token);
    let r = await rest("PUT", "/v1/collections/mcp_res/documents/d1", { v: 1 }, token);
    check(r.status < 300, "REST put " + r.status);
    const { resources } = await client.listResources();
    check(resources.some((x) => x.uri === "themis://collections/mcp_res"), "resources/list");
    const { resourceTemplates } = await client.listResourceTemplates();
    check(resourceTemplates.length === 2, "templates");
    const doc = await client.readResource({ uri: "themis://collections/mcp_res/documents/d1" });
    check(JSON.parse(doc.contents[0].text).v === 1, "read document");
    const coll = await client.readResource({ uri: "themis://collections/mcp_res" });
    check(JSON.parse(coll.contents[0].text).count === 1, "read collection");
    let threw = "";
    try { await client.readResource({ uri: "themis://collections/mcp_res/documents/nope" }); }
    catch (e) { threw = String(e); }
    check(/-32002|not found/i.test(threw), "missing resource " + threw);
    const seen = [];
    let wake;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      seen.push(n.params.uri);
      if (wake) wake();
    });
    await client.subscribeResource({ uri: "themis://collections/mcp_res/documents/d1" });
    await client.subscribeResource({ uri: "themis://collections/mcp_res" });
    // the GET stream opens after initialization; writes after it is up
    // arrive live, writes before it are backfilled only on a resume, so
    // write until a notification shows the stream is there (bounded)
    const got = new Promise((res) => { wake = res; });
    for (let i = 0; i < 50 && seen.length === 0; i++) {
      r = await rest("PUT", "/v1/collections/mcp_res/documents/d1", { v: 2 + i }, token);
      check(r.status < 300, "REST update");
      await Promise.race([got, new Promise((res) => setTimeout(res, 200))]);
    }
    check(seen.includes("themis://collections/mcp_res/documents/d1"), "document update " + seen);
    check(seen.includes("themis://collections/mcp_res"), "collection update " + seen);
    // unsubscribed: no more notifications for the document
    await client.unsubscribeResource({ uri: "themis://collections/mcp_res/documents/d1" });
    await client.unsubscribeResource({ uri: "themis://collections/mcp_res" });
    seen.length = 0;
    await rest("PUT", "/v1/collections/mcp_res/documents/d1", { v: 100 }, token);
    // a watched marker write after it: once it arrives, d1's would have too
    await client.subscribeResource({ uri: "themis://collections/mcp_res/documents/marker" });
    const got2 = new Promise((res) => { wake = res; });
    await rest("PUT", "/v1/collections/mcp_res/documents/marker", { v: 1 }, token);
    await withTimeout(got2, 10000, "marker notification");
    check(!seen.includes("themis://collections/mcp_res/documents/d1"), "unsubscribed " + seen);
    await client.close();
  },

  // a long job reports progress; the result follows
  async progress() {
    const { client } = await connect(process.env.MCP_TOKEN);
    const progress = [];
    const r = await call(client, "submit_job",
      { query: process.env.MCP_LONG_QUERY, wait: true, wait_ms: 120000 },
      { onprogress: (p) => progress.push(p), timeout: 120000 });
    check(!r.isError && r.structuredContent.status === "completed", "job done " + JSON.stringify(r));
    check(progress.length >= 1, "progress notifications: " + progress.length);
    for (let i = 1; i < progress.length; i++)
      check(progress[i].progress > progress[i - 1].progress, "progress increases");
    // an AQL query with a progress token is answered over SSE too
    const q = [];
    const r2 = await call(client, "aql_query", { query: "FOR i IN 1..1000 COLLECT WITH COUNT INTO n RETURN n" },
      { onprogress: (p) => q.push(p) });
    check(r2.structuredContent.rows[0] === 1000, "aql over SSE " + JSON.stringify(r2));
    console.log("progress notifications:", progress.length);
    await client.close();
  },

  // cancelling a waiting submit_job cancels the job; cancelling an
  // aql_query stops it
  async cancel() {
    const { client } = await connect(process.env.MCP_TOKEN);
    const ac = new AbortController();
    let jobId = null;
    let pending;
    const first = new Promise((res) => {
      pending = call(client, "submit_job",
        { query: process.env.MCP_ENDLESS_QUERY, wait: true, wait_ms: 120000 },
        {
          signal: ac.signal, timeout: 120000,
          onprogress: (p) => {
            const m = /job (\S+) /.exec(p.message || "");
            if (m && !jobId) { jobId = m[1]; res(); }
          },
        });
      pending.then(() => res(), () => res());
    });
    await withTimeout(first, 30000, "first progress of the job");
    check(jobId, "job id from the progress message");
    ac.abort("test cancels");
    let rejected = false;
    try { await pending; } catch { rejected = true; }
    check(rejected, "the cancelled call rejects");
    let status = "";
    for (let i = 0; i < 100 && status !== "cancelled"; i++) {
      const r = await call(client, "job_status", { job_id: jobId, wait_ms: 200 });
      status = r.structuredContent?.status;
    }
    check(status === "cancelled", "job status after cancel: " + status);
    // aql_query: cancel after its first progress report
    const ac2 = new AbortController();
    const started = Date.now();
    let p2;
    const firstq = new Promise((res) => {
      p2 = call(client, "aql_query", { query: process.env.MCP_ENDLESS_QUERY },
        { signal: ac2.signal, timeout: 120000, onprogress: () => res() });
      p2.then(() => res(), () => res());
    });
    await withTimeout(firstq, 30000, "first progress of the query");
    ac2.abort("stop");
    let rej2 = false;
    try { await p2; } catch { rej2 = true; }
    check(rej2, "cancelled query rejects");
    // the server is still answering, and quickly
    const r = await call(client, "aql_query", { query: "RETURN 1" });
    check(r.structuredContent.rows[0] === 1, "server answers after cancel");
    console.log("cancel ms:", Date.now() - started);
    await client.close();
  },

  // auth: no token → 401; read-only token → write tools refused
  async auth() {
    let err = "";
    try { await connect(undefined); } catch (e) { err = String(e); }
    check(/401|Unauthorized/i.test(err), "no token: " + err);
    const { client } = await connect(process.env.MCP_TOKEN_RO);
    let r = await call(client, "put_document", { collection: "c", key: "k", document: {} });
    check(r.isError && /data:write/.test(r.content[0].text), "read-only put " + JSON.stringify(r));
    r = await call(client, "aql_query", { query: "INSERT {a:1} INTO c" });
    check(r.isError && /data:write/.test(r.content[0].text), "read-only AQL write");
    r = await call(client, "list_collections", {});
    check(!r.isError, "read-only list");
    await client.close();
  },

  // tenants: A's documents are invisible to B through every path
  async tenants() {
    const a = (await connect(process.env.MCP_TOKEN)).client;
    const b = (await connect(process.env.MCP_TOKEN_B)).client;
    let r = await call(a, "put_document", { collection: "secrets", key: "s1", document: { pin: 1234 } });
    check(!r.isError, "A writes");
    r = await call(b, "list_collections", {});
    check(!r.structuredContent.collections.some((c) => c.name === "secrets"), "B does not list A's");
    r = await call(b, "get_document", { collection: "secrets", key: "s1" });
    check(r.isError, "B cannot read A's document");
    r = await call(b, "aql_query", { query: "FOR s IN secrets RETURN s" });
    check(r.isError || r.structuredContent.rows.length === 0, "B's AQL sees nothing");
    r = await call(b, "sql_query", { sql: "SELECT * FROM secrets" });
    check(r.isError, "B's SQL cannot see A's table " + JSON.stringify(r));
    r = await call(a, "sql_query", { sql: "SELECT doc->>'pin' AS pin FROM secrets" });
    check(!r.isError && r.structuredContent.rows[0].pin === "1234", "A's SQL sees its table " + JSON.stringify(r));
    r = await call(b, "recent_changes", { after: 0, limit: 1000 });
    check(!JSON.stringify(r.structuredContent).includes("1234"), "B's feed has nothing of A");
    let threw = "";
    try { await b.readResource({ uri: "themis://collections/secrets/documents/s1" }); }
    catch (e) { threw = String(e); }
    check(threw, "B cannot read A's resource");
    r = await call(a, "get_document", { collection: "secrets", key: "s1" });
    check(r.structuredContent.document.pin === 1234, "A reads its own");
    await a.close();
    await b.close();
  },
};

const name = process.argv[2];
try {
  await withTimeout(scenarios[name](), 150000, name);
  console.log("ok " + name);
  process.exit(0);
} catch (e) {
  console.log("FAIL " + name + ": " + (e && e.stack ? e.stack : e));
  process.exit(1);
}
