// A streamed AQL result (POST /api/v1/query/aql with Accept:
// application/x-ndjson, docs/streaming.md): the server sends one row per
// line as the query produces them, paced by how fast the reader reads.
// The reader here reads only as far as the page needs (rows up to
// `want`, plus a look-ahead): a huge result does not fill the browser's
// memory, and while nobody pages on the server's query waits. An error
// after the first row arrives as the body's last line.
import { api_error, auth_headers, prefix, set_key, current_key } from './api.js';

const ahead = 1000; // rows read beyond the last one asked for

function is_error_line(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && v.error === true &&
    'error_kind' in v && 'status_code' in v;
}

/** Starts the query; `h.rows(batch)` gets rows in order, `h.done(error|null)`
 *  once at the end. Returns {need(n), stop()}: need asks for rows up to n,
 *  stop cancels (the server then cancels the query). */
export function stream_aql(body, h) {
  const ctl = new AbortController();
  let want = ahead;
  let got = 0;
  let wake = null;
  const more = () => new Promise((r) => { wake = r; });

  (async () => {
    const r = await fetch(prefix + '/api/v1/query/aql', {
      method: 'POST', signal: ctl.signal, cache: 'no-store',
      headers: { Accept: 'application/x-ndjson', 'Content-Type': 'application/json', ...auth_headers() },
      body: JSON.stringify(body),
    });
    if (!r.ok) {
      const text = await r.text();
      let data = text;
      try { data = JSON.parse(text); } catch { /* not JSON */ }
      if (r.status === 401 && current_key()) set_key('');
      throw new api_error(r.status, data, text.slice(0, 300));
    }
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let held; // the newest line: the last one may be the error line
    let has_held = false;
    for (;;) {
      while (got >= want) await more();
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      const lines = buf.split('\n');
      buf = lines.pop();
      const batch = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        if (has_held) batch.push(held);
        held = JSON.parse(line);
        has_held = true;
      }
      got += batch.length;
      if (batch.length) h.rows(batch);
    }
    if (buf.trim()) {
      if (has_held) h.rows([held]);
      held = JSON.parse(buf);
      has_held = true;
    }
    if (has_held && is_error_line(held)) return new api_error(held.status_code, held, held.message);
    if (has_held) h.rows([held]);
    return null;
  })().then((err) => h.done(err), (err) => {
    if (err.name === 'AbortError') h.done(null, true);
    else h.done(err instanceof api_error ? err : new api_error(0, null, err.message));
  });

  return {
    need(n) {
      want = Math.max(want, n + ahead);
      if (wake) { const w = wake; wake = null; w(); }
    },
    stop() {
      ctl.abort();
      if (wake) { const w = wake; wake = null; w(); }
    },
  };
}
