// The changefeed for the live tail: a WebSocket to /api/v1/changes/ws
// with the key offered as a `themis.bearer.*` subprotocol (a browser
// cannot set Authorization on a WebSocket), or, when the WebSocket cannot
// be opened (a proxy without WebSocket support, an older server), the
// Server-Sent Events stream read through fetch. Both deliver the same
// events; `from` is exclusive in both ("now", or N: N+1 onward).
import { auth_headers, enc, prefix, ws_protocols, ws_url } from './api.js';

/** Reads an SSE body: calls `on_event(id, event, data)` per event. */
async function read_sse(body, on_event) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
      const f = { event: 'message', data: [] };
      for (const line of block.split(/\r?\n/)) {
        if (!line || line[0] === ':') continue;
        const i = line.indexOf(':');
        const name = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (name === 'data') f.data.push(val);
        else f[name] = val;
      }
      if (f.data.length) on_event(f.id, f.event, f.data.join('\n'));
    }
  }
}

function open_sse(from, collection, h) {
  const ctl = new AbortController();
  let q = '?from_seq=' + enc(from);
  if (collection) q += '&collection=' + enc(collection);
  h.transport('SSE');
  fetch(prefix + '/api/v1/changes/stream' + q, {
    headers: { Accept: 'text/event-stream', ...auth_headers() },
    signal: ctl.signal, cache: 'no-store',
  }).then(async (r) => {
    if (!r.ok) {
      const t = await r.text();
      let m = t;
      try { m = JSON.parse(t).message; } catch { /* not JSON */ }
      throw new Error(r.status + ': ' + m);
    }
    await read_sse(r.body, (id, event, data) => {
      if (event === 'change') h.event(JSON.parse(data));
      else if (event === 'error' || event === 'end') h.notice(event + ': ' + data);
    });
    h.ended('The stream ended; Resume continues after the last sequence.');
  }).catch((err) => {
    if (err.name !== 'AbortError') h.ended(err.message);
  });
  return () => ctl.abort();
}

const control = new Set(['subscribed', 'unsubscribed', 'error', 'overflow', 'welcome']);

/** Opens the tail; `h`: {event(e), notice(text), ended(text),
 *  transport(name)}. Returns a function that closes it. */
export function open_changes(from, collection, h) {
  let close_sse = null;
  let opened = false;
  let ws;
  try {
    ws = new WebSocket(ws_url('/api/v1/changes/ws'), ws_protocols('themis.changes.json'));
  } catch {
    return open_sse(from, collection, h);
  }
  ws.onopen = () => {
    opened = true;
    h.transport('WebSocket');
    const sub = { action: 'subscribe', from_sequence: from === 'now' ? 'now' : Number(from) };
    if (collection) sub.collection = collection;
    ws.send(JSON.stringify(sub));
  };
  ws.onmessage = (m) => {
    let e;
    try { e = JSON.parse(m.data); } catch { return; }
    if (!control.has(e.type) && typeof e.sequence === 'number') h.event(e);
    else if (e.type === 'error') h.notice('error: ' + e.message);
  };
  ws.onclose = (c) => {
    // never opened: the handshake was refused or the path cannot carry a
    // WebSocket; the SSE stream says why (401, 403) or works
    if (!opened) close_sse = open_sse(from, collection, h);
    else h.ended(`The WebSocket closed (${c.code}${c.reason ? ' ' + c.reason : ''}); Resume continues after the last sequence.`);
  };
  return () => {
    ws.onclose = null;
    ws.close(1000);
    if (close_sse) close_sse();
  };
}
