// Drives a live themisd through the generated @themisdb/client-grpc-web
// package (compiled by tests/integration/test_grpc_web.py into a temp
// dir): gRPC-web and Connect transports from @connectrpc/connect-node over
// HTTP/1.1 and HTTP/2, and connect-web's fetch transports. Per transport:
// unary Documents.Put/Get, a NOT_FOUND error, Query.Execute streamed in
// batches, a Changefeed.Subscribe that receives a change made meanwhile.
//
//   node grpc_web_client.mjs <compiled package dir> <base url> <collection>
// Prints one JSON object: {transport: {ok, ...} | {error}}.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { ConnectError, Code } from "@connectrpc/connect";
import * as cnode from "@connectrpc/connect-node";
import * as cweb from "@connectrpc/connect-web";

const [pkgDir, baseUrl, coll] = process.argv.slice(2);
const pkg = await import(
  pathToFileURL(path.join(pkgDir, "dist", "index.js")).href
);

const transports = {
  "grpc-web/node/h1": () =>
    cnode.createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  "grpc-web/node/h2": () =>
    cnode.createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
  "connect-proto/node/h1": () =>
    cnode.createConnectTransport({
      baseUrl,
      httpVersion: "1.1",
      useBinaryFormat: true,
    }),
  "connect-json/node/h2": () =>
    cnode.createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: false,
    }),
  "grpc-web/fetch": () => cweb.createGrpcWebTransport({ baseUrl }),
  "connect-json/fetch": () => cweb.createConnectTransport({ baseUrl }),
  // Connect GET for the methods marked NO_SIDE_EFFECTS (Documents.Get):
  // the HTTP methods fetch saw are reported, to show GETs went out
  "connect-json/fetch/get": () =>
    cweb.createConnectTransport({
      baseUrl,
      useHttpGet: true,
      fetch: (input, init) => {
        httpMethods.add((init && init.method) || "GET");
        return globalThis.fetch(input, init);
      },
    }),
};
const httpMethods = new Set();

// generous: the suite runs on loaded shared machines
function withTimeout(ms) {
  return { timeoutMs: ms * 4 };
}

async function scenario(name, transport) {
  const c = pkg.createThemisClients(transport);
  const out = {};
  const key = name.replace(/[^a-z0-9]/gi, "_");
  // unary
  const put = await c.documents.put(
    { collection: coll, key, body: { via: name, n: 7 } },
    withTimeout(5000),
  );
  out.put_rev = put.rev;
  const got = await c.documents.get({ collection: coll, key }, withTimeout(5000));
  out.get_body = got.body;
  out.get_rev = got.rev;
  try {
    await c.documents.get({ collection: coll, key: "missing" }, withTimeout(5000));
    out.not_found = "no error";
  } catch (e) {
    out.not_found = ConnectError.from(e).code === Code.NotFound ? "NotFound" :
      String(ConnectError.from(e).code);
  }
  // server-streaming query results, in batches
  const rows = [];
  let batches = 0;
  for await (const b of c.query.execute(
    { query: "FOR i IN 1..25 RETURN i", batchSize: 10 },
    withTimeout(10000),
  )) {
    batches++;
    // repeated google.protobuf.Value: messages, not plain JSON (only
    // singular Struct/Value fields are unwrapped by protobuf-es v2)
    rows.push(...b.rows.map((v) => v.kind.value));
  }
  out.query_rows = rows.length;
  out.query_batches = batches;
  out.query_sum = rows.reduce((a, b) => a + b, 0);
  // a live change on the changefeed
  const tipDoc = await c.documents.put(
    { collection: coll, key: key + "_tip", body: {} },
    withTimeout(5000),
  );
  void tipDoc;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 60000);
  const events = [];
  const liveKey = key + "_live";
  const feed = c.changefeed.subscribe(
    { afterSequence: 0n, collections: [coll], keyPrefix: key + "_" },
    { signal: ctl.signal },
  );
  let wrote = false;
  try {
    for await (const ev of feed) {
      events.push({ key: ev.key, type: ev.type, seq: String(ev.sequence) });
      if (!wrote) {
        wrote = true;
        await c.documents.put(
          { collection: coll, key: liveKey, body: { live: true } },
          withTimeout(5000),
        );
      }
      if (ev.key === liveKey) break;
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  out.feed_keys = events.map((e) => e.key);
  out.ok = true;
  return out;
}

const result = {};
for (const [name, make] of Object.entries(transports)) {
  try {
    httpMethods.clear();
    result[name] = await scenario(name, make());
    result[name].http_methods = [...httpMethods].sort();
  } catch (e) {
    result[name] = { error: String(e && e.stack ? e.stack : e) };
  }
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0);
