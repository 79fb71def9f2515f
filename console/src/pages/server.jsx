// Health and load: /health once, /metrics every two seconds into rolling
// series (requests/s from the request counters, p50/p99 latency from the
// duration histogram's buckets over each interval, open connections and
// requests in flight from the gauges, MQTT messages/s from the broker's
// counters, WebSocket messages/s over every endpoint (changefeed, GraphQL,
// MQTT and PostgreSQL over WebSocket), the store writer's queue from its
// gauge). /metrics needs the admin scope
// unless metrics are open (docs/configuration.md); a refusal is shown.
// The listeners come from GET /api/v1/admin/status (global admins; others
// do not see the line).
import { useCallback, useState } from 'preact/hooks';
import { call } from '../api.js';
import { Chart } from '../chart.jsx';
import { Message, use_interval, use_load } from './common.jsx';
import { Keys } from './keys.jsx';
import { Audit } from './audit.jsx';

const points = 90;

const histogram = 'themis_http_request_duration_seconds_bucket';

/** Sums of the samples of a few metric families in Prometheus text, and
 *  the request duration histogram summed over routes ({le: count}). */
export function parse_metrics(text) {
  const want = ['themis_http_requests_total', 'themis_open_connections',
    'themis_inflight_requests', 'themis_mqtt_messages_received_total',
    'themis_mqtt_messages_sent_total', 'themis_writer_queue',
    'themis_websocket_messages_received_total', 'themis_websocket_messages_sent_total'];
  const sums = { buckets: {} };
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    if (want.includes(m[1])) sums[m[1]] = (sums[m[1]] || 0) + Number(m[3]);
    else if (m[1] === histogram) {
      const le = /le="([^"]+)"/.exec(m[2] || '');
      if (le) sums.buckets[le[1]] = (sums.buckets[le[1]] || 0) + Number(m[3]);
    }
  }
  return sums;
}

/** The q-quantile in ms of the requests between two cumulative bucket
 *  snapshots, interpolated inside its bucket (as Prometheus'
 *  histogram_quantile does); 0 without requests. */
export function quantile_ms(q, now, before) {
  const les = Object.keys(now).filter((k) => k !== '+Inf').sort((a, b) => Number(a) - Number(b));
  const delta = (le) => (now[le] || 0) - ((before && before[le]) || 0);
  const total = (now['+Inf'] || 0) - ((before && before['+Inf']) || 0);
  if (total <= 0) return 0;
  const rank = q * total;
  let lo = 0;
  let below = 0;
  for (const key of les) {
    const le = Number(key);
    const c = delta(key); // cumulative: requests at or under le
    if (c >= rank) return 1000 * (lo + (le - lo) * ((rank - below) / Math.max(1e-9, c - below)));
    lo = le;
    below = c;
  }
  return 1000 * lo; // in the +Inf bucket: its lower bound
}

const empty = () => ({
  t: [], rps: [], p50: [], p99: [], conns: [], inflight: [], mqtt_in: [], mqtt_out: [],
  ws_in: [], ws_out: [], queue: [], prev: null,
});

export function Server() {
  const [health, herr] = use_load(() => call('GET', '/health').then((r) => r.data), []);
  const [status] = use_load(() => call('GET', '/api/v1/admin/status').then((r) => r.data, () => null), []);
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
      const min = m.themis_mqtt_messages_received_total || 0;
      const mout = m.themis_mqtt_messages_sent_total || 0;
      const win = m.themis_websocket_messages_received_total || 0;
      const wout = m.themis_websocket_messages_sent_total || 0;
      const prev = { req, min, mout, win, wout, t: now, buckets: m.buckets };
      // the first sample only sets the baseline: rates need an interval
      if (!old.prev) return { ...old, prev };
      const rate = (v, was) => Math.max(0, (v - was) / (now - old.prev.t));
      const rps = rate(req, old.prev.req);
      const cut = (a, v) => [...a, v].slice(-points);
      const before = old.prev.buckets;
      return {
        t: cut(old.t, now), rps: cut(old.rps, rps),
        p50: cut(old.p50, quantile_ms(0.5, m.buckets, before)),
        p99: cut(old.p99, quantile_ms(0.99, m.buckets, before)),
        conns: cut(old.conns, m.themis_open_connections || 0),
        inflight: cut(old.inflight, m.themis_inflight_requests || 0),
        mqtt_in: cut(old.mqtt_in, rate(min, old.prev.min)),
        mqtt_out: cut(old.mqtt_out, rate(mout, old.prev.mout)),
        ws_in: cut(old.ws_in, rate(win, old.prev.win)),
        ws_out: cut(old.ws_out, rate(wout, old.prev.wout)),
        queue: cut(old.queue, m.themis_writer_queue || 0),
        prev,
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
          {status && status.listeners && (
            <><dt>listeners</dt><dd data-testid="listeners">
              {status.listeners.map((l) => `${l.name} ${l.address}`).join(', ')}</dd></>
          )}
        </dl>
      )}
      <Message text={msg} />
      <div class="charts">
        <Chart title="requests/s" xs={s.t} lines={[['requests/s', s.rps]]} />
        <Chart title="latency (ms)" xs={s.t} lines={[['p50', s.p50], ['p99', s.p99]]} />
        <Chart title="open connections" xs={s.t} lines={[['connections', s.conns]]} />
        <Chart title="requests in flight" xs={s.t} lines={[['in flight', s.inflight]]} />
        <Chart title="MQTT messages/s" xs={s.t} lines={[['received', s.mqtt_in], ['sent', s.mqtt_out]]} />
        <Chart title="WebSocket messages/s" xs={s.t} lines={[['received', s.ws_in], ['sent', s.ws_out]]} />
        <Chart title="writer queue" xs={s.t} lines={[['writes waiting', s.queue]]} />
      </div>
      <Keys />
      <Audit />
    </section>
  );
}

async function fetch_metrics() {
  // Prometheus text, not JSON: call() would try to parse it and fail soft
  const r = await call('GET', '/metrics', { headers: { Accept: 'text/plain' } });
  return typeof r.data === 'string' ? r.data : String(r.data);
}
