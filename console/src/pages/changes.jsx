// A live tail of the changefeed. Browsers cannot put an Authorization
// header on a WebSocket, so the tail reads the Server-Sent Events stream
// (GET /api/v1/changes/stream) through fetch, which can; the events and
// the exclusive resume (`from_seq=N` delivers N+1 onward) are the same.
// Pause ends the request; Resume starts a new one after the last sequence
// shown (or the one typed in), so nothing is skipped or shown twice.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { auth_headers, enc, prefix } from '../api.js';
import { Chart } from '../chart.jsx';
import { Message, use_interval } from './common.jsx';

const keep = 200; // events kept on screen
const seconds = 60; // the rate sparkline's window

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

export function Changes() {
  const [events, set_events] = useState([]);
  const [running, set_running] = useState(false);
  const [from, set_from] = useState('now');
  const [collection, set_collection] = useState('');
  const [msg, set_msg] = useState('');
  const last = useRef(null);
  const abort = useRef(null);
  // events per second over the last minute, for the sparkline
  const arrived = useRef(0);
  const [rate, set_rate] = useState({ t: [], n: [] });
  const sample = useCallback(() => {
    const n = arrived.current;
    arrived.current = 0;
    set_rate((r) => ({ t: [...r.t, Date.now() / 1000].slice(-seconds), n: [...r.n, n].slice(-seconds) }));
  }, []);
  use_interval(sample, 1000);

  function start(from_seq) {
    const ctl = new AbortController();
    abort.current = ctl;
    set_running(true);
    set_msg('');
    let q = '?from_seq=' + enc(from_seq);
    if (collection.trim()) q += '&collection=' + enc(collection.trim());
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
        if (event !== 'change') {
          if (event === 'error' || event === 'end') set_msg(event + ': ' + data);
          return;
        }
        const e = JSON.parse(data);
        last.current = e.sequence;
        arrived.current += 1;
        set_from(String(e.sequence));
        set_events((list) => [e, ...list].slice(0, keep));
      });
      set_msg('The stream ended; Resume continues after the last sequence.');
    }).catch((err) => {
      if (err.name !== 'AbortError') set_msg(err.message);
    }).finally(() => {
      if (abort.current === ctl) {
        abort.current = null;
        set_running(false);
      }
    });
  }

  function pause() {
    if (abort.current) abort.current.abort();
    abort.current = null;
    set_running(false);
  }

  useEffect(() => {
    start('now');
    return pause;
  }, []);

  return (
    <section>
      <h2>Changes</h2>
      <div class="row">
        {running
          ? <button onClick={pause} data-testid="pause">Pause</button>
          : <button onClick={() => start(from.trim() || '0')} data-testid="resume">Resume</button>}
        <label class="inline">after sequence
          <input name="from" size={8} value={from} disabled={running}
            onInput={(e) => set_from(e.target.value)} /></label>
        <label class="inline">collection
          <input name="collection" size={12} value={collection} disabled={running}
            onInput={(e) => set_collection(e.target.value)} placeholder="all" /></label>
        <span class={'status ' + (running ? 'running' : 'paused')} data-testid="tail-state">{running ? 'live' : 'paused'}</span>
      </div>
      <Message text={msg} />
      <div class="sparkline" data-testid="rate">
        <Chart title="events/s" xs={rate.t} lines={[['events/s', rate.n]]} height={90} />
      </div>
      <div class="scroll">
        <table data-testid="changes">
          <thead><tr><th>seq</th><th>type</th><th>collection</th><th>key</th><th>value</th><th>time</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.sequence} data-seq={e.sequence}>
                <td class="num">{e.sequence}</td>
                <td>{e.type}</td>
                <td>{e.collection}</td>
                <td>{e.key}</td>
                <td class="query"><code>{e.value === undefined ? '' : JSON.stringify(e.value)}</code></td>
                <td class="dim">{new Date(e.timestamp_ms).toLocaleTimeString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {events.length === 0 && <p class="hint">Waiting for writes…</p>}
    </section>
  );
}
