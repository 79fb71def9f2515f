// Sign-in with an API key (`themisctl init` prints the first one; admins
// make more with POST /api/keys). The key is checked against the server
// before it is kept.
import { useState } from 'preact/hooks';
import { call, set_key } from '../api.js';
import { Message } from './common.jsx';

export function Login() {
  const [key, set] = useState('');
  const [error, set_error] = useState('');
  const [busy, set_busy] = useState(false);

  async function submit(e) {
    e.preventDefault();
    set_busy(true);
    set_error('');
    const k = key.trim();
    try {
      await call('GET', '/api/v1/collections', { headers: { Authorization: 'Bearer ' + k } });
      set_key(k);
    } catch (err) {
      // 403: the key is valid but may not list collections; the pages it
      // may use still work, and each shows the server's refusal
      if (err.status === 403) set_key(k);
      else set_error(err.status === 401 ? 'The server does not accept this key (401).' : err.message);
    } finally {
      set_busy(false);
    }
  }

  return (
    <main class="login">
      <h1>themisd console</h1>
      <form onSubmit={submit}>
        <label>
          API key or token
          <input type="password" name="key" autocomplete="off" value={key}
            onInput={(e) => set(e.target.value)} placeholder="thk_…" required />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      <Message text={error} />
      <p class="hint">The key stays in this browser tab (session storage) and is
        sent as <code>Authorization: Bearer</code>. A JWT works the same way.
        Password users (<code>mqtt.users</code>, <code>pg.users</code>) sign in to
        MQTT and PostgreSQL only: the HTTP API takes tokens.</p>
    </main>
  );
}
