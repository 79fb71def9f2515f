// MQTT: the broker's sessions (connected clients and kept sessions) with
// their subscriptions, and the retained messages, from GET /api/v1/mqtt
// polled every 2 s (admin scope: a tenant's admin sees its tenant, a
// global admin every namespace); below, a publish/subscribe playground
// over MQTT-over-WebSocket.
import { useCallback } from 'preact/hooks';
import { call } from '../api.js';
import { Message, use_interval, use_load } from './common.jsx';
import { Playground } from './mqtt_playground.jsx';

function since(ms) {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
}

export function Mqtt() {
  const [data, error, reload] = use_load(async () => (await call('GET', '/api/v1/mqtt')).data, []);
  use_interval(useCallback(() => reload(), [reload]), 2000);
  return (
    <section>
      <h2>MQTT</h2>
      <Message text={error} />
      {data && (
        <>
          <h3>Sessions</h3>
          <div class="scroll">
            <table data-testid="mqtt-clients">
              <thead><tr>
                <th>client id</th><th>state</th><th>user</th><th>remote</th><th>protocol</th>
                <th>since</th><th>subscriptions</th><th class="num">queued</th><th class="num">in flight</th>
              </tr></thead>
              <tbody>
                {data.clients.map((c) => (
                  <tr data-client={c.client_id}>
                    <td><code>{c.client_id}</code></td>
                    <td><span class={'status ' + (c.connected ? 'running' : '')}>
                      {c.connected ? 'connected' : 'kept'}</span></td>
                    <td>{c.user}</td>
                    <td>{c.remote}</td>
                    <td>{c.transport} {c.version}</td>
                    <td class="dim">{since(c.connected_at_ms)}</td>
                    <td data-testid="mqtt-subs">{c.subscriptions.map((s) => (
                      <div><code>{s.filter}</code> <span class="dim">QoS {s.qos}</span></div>))}</td>
                    <td class="num">{c.queued}</td>
                    <td class="num">{c.inflight}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {!data.clients.length && <p class="hint">No MQTT sessions.</p>}
          </div>
          <h3>Retained messages</h3>
          <div class="scroll">
            <table data-testid="mqtt-retained">
              <thead><tr><th>topic</th><th>QoS</th><th class="num">bytes</th><th>payload</th></tr></thead>
              <tbody>
                {data.retained.map((m) => (
                  <tr data-topic={m.topic}>
                    <td><code>{m.topic}</code></td>
                    <td>{m.qos}</td>
                    <td class="num">{m.bytes}</td>
                    <td class="query"><code>{m.payload === null ? '(binary)' : m.payload}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.truncated && <p class="hint">The server listed its first 1000 of each.</p>}
        </>
      )}
      <Playground />
    </section>
  );
}
