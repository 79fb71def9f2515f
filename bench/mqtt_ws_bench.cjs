// MQTT over WebSocket vs MQTT over TCP, same client (MQTT.js from
// tests/node), same server, same run: one publisher, one subscriber, N
// messages of 64 bytes at QoS 0 and at QoS 1 (100 in flight); prints
// delivered messages/s. Usage: node mqtt_ws_bench.cjs URL SCENARIO N
const path = require("path");
const mqtt = require(path.join(__dirname, "..", "tests", "node",
                               "node_modules", "mqtt"));
const [url, sc, nArg] = process.argv.slice(2);
const N = Number(nArg || 20000);
const qos = sc === "qos1" ? 1 : 0;
const payload = Buffer.alloc(64, 120);

function connect(id) {
  return new Promise((res, rej) => {
    // WS_DEFLATE=1: the client offers permessage-deflate (Node's ws then
    // inflates every message on its thread pool, which bounds the rate)
    const c = mqtt.connect(url, { clientId: id, reconnectPeriod: 0,
                                  protocolVersion: 4,
                                  wsOptions: { perMessageDeflate:
                                               process.env.WS_DEFLATE === "1" } });
    c.once("connect", () => res(c));
    c.once("error", rej);
  });
}

(async () => {
  const sub = await connect("bsub-" + process.pid);
  await new Promise((r) => sub.subscribe("bench/t", { qos }, r));
  const pub = await connect("bpub-" + process.pid);
  let got = 0, last = process.hrtime.bigint(), allSent = false;
  const t0 = process.hrtime.bigint();
  // QoS 0 may be dropped by the server (a subscriber behind its output
  // bound, mqtt.max_queued_messages): once everything is published, 1 s
  // without a message ends the run and the delivered count is reported
  const done = new Promise((res) => {
    sub.on("message", () => {
      last = process.hrtime.bigint();
      if (++got === N) res();
    });
    const idle = setInterval(() => {
      if (allSent && process.hrtime.bigint() - last > 1000000000n) {
        clearInterval(idle);
        res();
      }
    }, 100);
    idle.unref();
  });
  let sent = 0, inflight = 0;
  await new Promise((res) => {
    const pump = () => {
      while (sent < N && inflight < 100) {
        ++sent;
        ++inflight;
        pub.publish("bench/t", payload, { qos }, () => {
          --inflight;
          if (sent < N) setImmediate(pump);
          else if (inflight === 0) res();
        });
      }
    };
    pump();
  });
  allSent = true;
  await done;
  const secs = Number(last - t0) / 1e9;
  console.log(`${Math.round(got / secs)} msg/s (${got} of ${N} delivered ` +
              `in ${secs.toFixed(2)} s)`);
  pub.end(true);
  sub.end(true);
  process.exit(0);
})().catch((e) => { console.error(String(e)); process.exit(1); });
