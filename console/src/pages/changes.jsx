// A live tail of the changefeed over a WebSocket (changes_feed.js; SSE
// when no WebSocket can be opened). Pause closes it; Resume opens a new one
// after the last sequence shown (or the one typed in), so nothing is
// skipped or shown twice.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Chart } from '../chart.jsx';
import { open_changes } from '../changes_feed.js';
import { Message, use_interval } from './common.jsx';

const keep = 200; // events kept on screen
const seconds = 60; // the rate sparkline's window

export function Changes() {
  const [events, set_events] = useState([]);
  const [running, set_running] = useState(false);
  const [from, set_from] = useState('now');
  const [collection, set_collection] = useState('');
  const [msg, set_msg] = useState('');
  const last = useRef(null);
  const stop = useRef(null);
  const [transport, set_transport] = useState('');
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
    if (from_seq !== 'now' && !/^\d+$/.test(from_seq)) {
      set_msg('The sequence to resume after is a number (or "now").');
      return;
    }
    set_running(true);
    set_msg('');
    let live = true;
    const close = open_changes(from_seq, collection.trim(), {
      event: (e) => {
        if (!live) return;
        last.current = e.sequence;
        arrived.current += 1;
        set_from(String(e.sequence));
        set_events((list) => [e, ...list].slice(0, keep));
      },
      notice: (t) => live && set_msg(t),
      ended: (t) => {
        if (!live) return;
        live = false;
        set_msg(t);
        set_running(false);
        stop.current = null;
      },
      transport: (t) => live && set_transport(t),
    });
    stop.current = () => {
      live = false;
      close();
    };
  }

  function pause() {
    if (stop.current) stop.current();
    stop.current = null;
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
        <span class="dim" data-testid="tail-transport">{transport}</span>
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
