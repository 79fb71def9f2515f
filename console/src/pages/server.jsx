// Health and load: /health once, /metrics every two seconds into rolling
// series (requests/s from the request counters, open connections and
// requests in flight from the gauges). /metrics needs the admin scope
// unless metrics are open (docs/configuration.md); a refusal is shown.
import { useCallback, useState } from 'preact/hooks';
import { call } from '../api.js';
import { Chart } from '../chart.jsx';
import { Message, use_interval, use_load } from './common.jsx';

const points = 90;

/** Sums of the samples of a few metric families in Prometheus text. */
export function parse_metrics(text) {
  const want = ['themis_http_requests_total', 'themis_open_connections',
    'themis_inflight_requests', 'themis_connections_accepted_total'];
  const sums = {};
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && want.includes(m[1])) sums[m[1]] = (sums[m[1]] || 0) + Number(m[3]);
  }
  return sums;
}

const empty = () => ({ t: [], rps: [], conns: [], inflight: [], prev: null });

export function Server() {
  const [health, herr] = use_load(() => call('GET', '/health').then((r) => r.data), []);
  const [s, set_s] = useState(empty);
  const [msg, set_msg] = useState('');

  const poll = useCallback(async () => {
    let text;
    try {
      const r = await fetch_metrics();
      text = r;
    } catch (err) {
      return set_msg(err.message);
    }
    set_msg('');
    const m = parse_metrics(text);
    const now = Date.now() / 1000;
    set_s((old) => {
      const req = m.themis_http_requests_total || 0;
      const rps = old.prev ? Math.max(0, (req - old.prev.req) / (now - old.prev.t)) : 0;
      const cut = (a, v) => [...a, v].slice(-points);
      return {
        t: cut(old.t, now), rps: cut(old.rps, rps),
        conns: cut(old.conns, m.themis_open_connections || 0),
        inflight: cut(old.inflight, m.themis_inflight_requests || 0),
        prev: { req, t: now },
      };
    });
  }, []);
  use_load(poll, []);
  use_interval(poll, 2000);

  return (
    <section>
      <h2>Server</h2>
      <Message text={herr} />
      {health && (
        <dl class="facts" data-testid="health">
          <dt>status</dt><dd><span class={'status ' + health.status}>{health.status}</span></dd>
          <dt>version</dt><dd>{health.version}</dd>
          <dt>uptime</dt><dd>{health.uptime_seconds} s</dd>
        </dl>
      )}
      <Message text={msg} />
      <div class="charts">
        <Chart title="requests/s" xs={s.t} ys={s.rps} />
        <Chart title="open connections" xs={s.t} ys={s.conns} />
        <Chart title="requests in flight" xs={s.t} ys={s.inflight} />
      </div>
    </section>
  );
}

async function fetch_metrics() {
  // Prometheus text, not JSON: call() would try to parse it and fail soft
  const r = await call('GET', '/metrics', { headers: { Accept: 'text/plain' } });
  return typeof r.data === 'string' ? r.data : String(r.data);
}
