// MQTT.js (npm `mqtt`) over WebSocket against themisd (issue 19), one
// scenario per run: node mqtt_ws_client.mjs <scenario> <ws url> <tcp url>
// [ca file]. Each scenario checks its own expectations and exits 0, or
// prints what differed and exits 1. Every wait has a timeout.
import fs from "node:fs";
import mqtt from "mqtt";

const [scenario, wsUrl, tcpUrl, caFile] = process.argv.slice(2);
const tls = caFile ? { ca: fs.readFileSync(caFile) } : {};

function fail(msg) {
  console.error("FAIL " + scenario + ": " + msg);
  process.exit(1);
}
const timer = setTimeout(() => fail("timed out"), 20000);

function connect(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...tls,
      ...opts,
    });
    c.once("connect", (ack) => resolve([c, ack]));
    c.once("error", reject);
  });
}

/// Resolves with the first `n` messages (topic, payload, packet) received.
function collect(c, n) {
  return new Promise((resolve) => {
    const got = [];
    c.on("message", (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), qos: packet.qos,
                 retain: packet.retain });
      if (got.length === n) resolve(got);
    });
  });
}

const sub = (c, topic, qos) =>
  new Promise((res, rej) =>
    c.subscribe(topic, { qos }, (e, g) => (e ? rej(e) : res(g))));
const pub = (c, topic, msg, opts) =>
  new Promise((res, rej) =>
    c.publish(topic, msg, opts, (e, p) => (e ? rej(e) : res(p))));
const end = (c) => new Promise((res) => c.end(false, {}, res));

const creds = { username: "alice", password: "secret" };

const scenarios = {
  // QoS 0/1/2 from a WebSocket client to a WebSocket subscriber, both
  // MQTT 3.1.1 and 5.0, with credentials
  async qos_both_ways() {
    for (const protocolVersion of [4, 5]) {
      const [s] = await connect(wsUrl, { ...creds, protocolVersion,
                                         clientId: "sub" + protocolVersion });
      const g = await sub(s, "ws/q/#", 2);
      if (g[0].qos !== 2) fail("granted " + JSON.stringify(g));
      const [p] = await connect(wsUrl, { ...creds, protocolVersion });
      const got = collect(s, 3);
      for (const qos of [0, 1, 2])
        await pub(p, "ws/q/" + qos, "m" + qos, { qos });
      const msgs = (await got).sort((a, b) => a.qos - b.qos);
      const want = [0, 1, 2].map((q) => "ws/q/" + q + "=m" + q + "@" + q);
      const have = msgs.map((m) => m.topic + "=" + m.payload + "@" + m.qos);
      if (JSON.stringify(have) !== JSON.stringify(want))
        fail("v" + protocolVersion + " got " + JSON.stringify(have));
      await end(p);
      await end(s);
    }
  },
  // WebSocket ↔ TCP in both directions at QoS 2
  async ws_tcp_bridge() {
    const [w] = await connect(wsUrl, { ...creds, clientId: "w1" });
    const [t] = await connect(tcpUrl, { ...creds, clientId: "t1" });
    await sub(w, "from/tcp", 2);
    await sub(t, "from/ws", 2);
    const gw = collect(w, 1), gt = collect(t, 1);
    await pub(t, "from/tcp", "hello-ws", { qos: 2 });
    await pub(w, "from/ws", "hello-tcp", { qos: 2 });
    const [a] = await gw, [b] = await gt;
    if (a.payload !== "hello-ws" || a.qos !== 2) fail("ws got " + JSON.stringify(a));
    if (b.payload !== "hello-tcp" || b.qos !== 2) fail("tcp got " + JSON.stringify(b));
    await end(w);
    await end(t);
  },
  async retained() {
    const [p] = await connect(wsUrl, creds);
    await pub(p, "ws/retained", "kept", { qos: 1, retain: true });
    await end(p);
    const [s] = await connect(wsUrl, creds);
    const got = collect(s, 1);
    await sub(s, "ws/retained", 1);
    const [m] = await got;
    if (m.payload !== "kept" || !m.retain) fail(JSON.stringify(m));
    await end(s);
  },
  // a WebSocket client that drops its connection: its will is published
  async will() {
    const [s] = await connect(tcpUrl, creds);
    await sub(s, "ws/will", 1);
    const [w] = await connect(wsUrl, { ...creds, clientId: "dying",
      will: { topic: "ws/will", payload: "gone", qos: 1, retain: false } });
    const got = collect(s, 1);
    w.stream.destroy(); // no DISCONNECT
    const [m] = await got;
    if (m.payload !== "gone") fail(JSON.stringify(m));
    await end(s);
  },
  // the same client id on TCP, then over WebSocket: the TCP session is
  // taken over (its subscription and its queued QoS 1 message move)
  async takeover_tcp_to_ws() {
    const id = "roamer";
    const [t] = await connect(tcpUrl, { ...creds, clientId: id, clean: false });
    await sub(t, "roam/#", 1);
    const closed = new Promise((res) => t.once("close", res));
    const [w, ack] = await connect(wsUrl, { ...creds, clientId: id,
                                            clean: false });
    if (!ack.sessionPresent) fail("session not present after takeover");
    await closed; // the server ended the TCP connection
    t.end(true);
    const got = collect(w, 1);
    const [p] = await connect(tcpUrl, creds);
    await pub(p, "roam/x", "to-ws", { qos: 1 });
    const [m] = await got;
    if (m.payload !== "to-ws") fail(JSON.stringify(m));
    await end(p);
    // and back: WebSocket → TCP
    const closed2 = new Promise((res) => w.once("close", res));
    const [t2, ack2] = await connect(tcpUrl, { ...creds, clientId: id,
                                               clean: false });
    if (!ack2.sessionPresent) fail("session not present on the way back");
    await closed2;
    w.end(true);
    // (roam/x may come again: the WebSocket session's acknowledgement can
    // lose the race with the takeover, and QoS 1 is at least once)
    const got2 = new Promise((res) => t2.on("message", (topic, payload) => {
      if (topic === "roam/y") res(payload.toString());
    }));
    const [p2] = await connect(wsUrl, creds);
    await pub(p2, "roam/y", "to-tcp", { qos: 1 });
    const m2 = await got2;
    if (m2 !== "to-tcp") fail(m2);
    await end(p2);
    await end(t2);
  },
  async bad_password() {
    try {
      const [c] = await connect(wsUrl, { username: "alice", password: "nope",
                                         protocolVersion: 5 });
      c.end(true);
      fail("connected with a bad password");
    } catch (e) {
      if (!/Bad User Name or Password|Not authorized|bad user/i.test(String(e)))
        fail("unexpected error: " + e);
    }
  },
};

const run = scenarios[scenario];
if (!run) fail("unknown scenario");
try {
  await run();
  clearTimeout(timer);
  console.log("OK " + scenario);
  process.exit(0);
} catch (e) {
  fail(String(e && e.stack ? e.stack : e));
}
