// Node's `ws` with permessage-deflate against the changefeed WebSocket
// (issue 19): node ws_deflate_client.mjs <url>. Prints "subscribed" once
// subscribed, then expects 3 PUT events (the test writes them), checks
// that the extension was negotiated and that a large compressed client
// message is understood; exits 0, or 1 with what differed.
import WebSocket from "ws";

const url = process.argv[2];
const timer = setTimeout(() => fail("timed out"), 20000);
function fail(m) {
  console.log("FAIL " + m);
  process.exit(1);
}
const ws = new WebSocket(url, {
  perMessageDeflate: { threshold: 100, clientNoContextTakeover: true },
});
let events = 0;
let phase = "subscribe";
ws.on("open", () => {
  if (!/permessage-deflate/.test(ws.extensions))
    fail("extension not negotiated: " + JSON.stringify(ws.extensions));
});
ws.on("message", (data, isBinary) => {
  if (isBinary) fail("binary message");
  const m = JSON.parse(data.toString());
  if (phase === "subscribe") {
    if (m.type !== "subscribed") fail("first message " + data);
    phase = "events";
    console.log("subscribed");
    return;
  }
  if (phase === "events") {
    if (m.type !== "PUT") fail("event " + data);
    if (++events === 3) {
      phase = "big";
      ws.send(JSON.stringify({ action: "subscribe", collection: "wsn",
                               key_prefix: "n".repeat(5000) }));
    }
    return;
  }
  if (m.type !== "subscribed") fail("big subscribe answered " + data);
  clearTimeout(timer);
  console.log("OK");
  ws.close();
  process.exit(0);
});
ws.on("error", (e) => fail(String(e)));
