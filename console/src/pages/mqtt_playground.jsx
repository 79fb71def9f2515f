// Publish and subscribe over MQTT-over-WebSocket (the server's /mqtt, same
// origin, so the CSP's connect-src 'self' allows it). The API key is the
// MQTT password: the broker checks scopes (publish needs data:write,
// subscribe data:read) and the tenant's topic tree as for any client. The
// mqtt package is loaded on first use, in its own chunk.
import { useEffect, useRef, useState } from 'preact/hooks';
import { current_key, prefix } from '../api.js';
import { Message } from './common.jsx';

const max_messages = 100;

function ws_url() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + prefix + '/mqtt';
}

export function Playground() {
  const client = useRef(null);
  const [state, set_state] = useState('disconnected');
  const [msg, set_msg] = useState(['', 'error']);
  const [filter, set_filter] = useState('console/#');
  const [topic, set_topic] = useState('console/test');
  const [payload, set_payload] = useState('hello');
  const [retain, set_retain] = useState(false);
  const [got, set_got] = useState([]);

  useEffect(() => () => client.current && client.current.end(true), []);

  async function connect() {
    set_msg(['', 'error']);
    set_state('connecting');
    const { default: mqtt } = await import('mqtt');
    const id = 'console-' + Math.random().toString(16).slice(2, 10);
    const c = mqtt.connect(ws_url(), {
      clientId: id, username: 'console', password: current_key(),
      protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10000,
      // keep-alive on plain timers: the default starts a Worker from a
      // blob: URL, which the CSP (no worker-src, script-src 'self') refuses
      timerVariant: 'native',
    });
    client.current = c;
    c.on('connect', () => { set_state('connected as ' + id); });
    c.on('error', (e) => set_msg(['MQTT: ' + e.message, 'error']));
    c.on('close', () => set_state('disconnected'));
    c.on('message', (t, p, packet) => {
      set_got((old) => [{ topic: t, payload: new TextDecoder().decode(p), retain: packet.retain, at: Date.now() },
        ...old].slice(0, max_messages));
    });
  }

  function disconnect() {
    if (client.current) client.current.end();
    client.current = null;
  }

  function subscribe() {
    client.current.subscribe(filter, { qos: 0 }, (err, granted) => {
      if (err) set_msg(['subscribe: ' + err.message, 'error']);
      else if (granted.some((g) => g.qos >= 0x80))
        set_msg([`subscribe ${filter}: refused (0x${granted[0].qos.toString(16)})`, 'error']);
      else set_msg([`subscribed to ${filter}`, 'ok']);
    });
  }

  function publish() {
    client.current.publish(topic, payload, { qos: 1, retain }, (err, packet) => {
      const rc = packet && packet.reasonCode;
      if (err) set_msg(['publish: ' + err.message, 'error']);
      else if (rc && rc >= 0x80) set_msg([`publish: refused (0x${rc.toString(16)})`, 'error']);
      else set_msg([`published to ${topic}`, 'ok']);
    });
  }

  const on = state.startsWith('connected');
  return (
    <div data-testid="mqtt-playground">
      <h3>Playground</h3>
      <div class="row">
        <button onClick={on ? disconnect : connect} disabled={state === 'connecting'} data-testid="mqtt-connect">
          {on ? 'Disconnect' : 'Connect'}</button>
        <span class="dim" data-testid="mqtt-state">{state}</span>
      </div>
      <Message text={msg[0]} kind={msg[1]} />
      <div class="row">
        <label class="inline">Filter <input name="mqtt-filter" value={filter} onInput={(e) => set_filter(e.target.value)} /></label>
        <button disabled={!on} onClick={subscribe} data-testid="mqtt-subscribe">Subscribe</button>
      </div>
      <div class="row">
        <label class="inline">Topic <input name="mqtt-topic" value={topic} onInput={(e) => set_topic(e.target.value)} /></label>
        <label class="inline">Payload <input name="mqtt-payload" value={payload} onInput={(e) => set_payload(e.target.value)} /></label>
        <label class="inline"><input type="checkbox" checked={retain} onChange={(e) => set_retain(e.target.checked)} /> retain</label>
        <button disabled={!on} onClick={publish} data-testid="mqtt-publish">Publish</button>
      </div>
      <div class="scroll">
        <table data-testid="mqtt-received">
          <thead><tr><th>topic</th><th>payload</th><th></th></tr></thead>
          <tbody>
            {got.map((m) => (
              <tr><td><code>{m.topic}</code></td><td class="query"><code>{m.payload}</code></td>
                <td class="dim">{m.retain ? 'retained' : ''}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
