// Sign-in with an API key (`themisctl init` prints the first one; admins
// make more with POST /api/keys), checked against the server before it is
// kept; or, when the server runs its OpenID Connect provider
// (oauth2.enabled), with a user name and password on the provider's own
// sign-in form (oidc.js): the password never passes through the console.
import { useEffect, useState } from 'preact/hooks';
import { call, set_key } from '../api.js';
import { discover, start_sign_in, take_notice } from '../oidc.js';
import { Message } from './common.jsx';

export function Login() {
  const [key, set] = useState('');
  const [error, set_error] = useState(take_notice);
  const [busy, set_busy] = useState(false);
  const [meta, set_meta] = useState(null);

  useEffect(() => {
    let live = true;
    discover().then((m) => live && set_meta(m));
    return () => { live = false; };
  }, []);

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

  async function oidc() {
    set_busy(true);
    set_error('');
    try {
      await start_sign_in(meta); // leaves the page
    } catch (err) {
      set_error('Could not start the sign-in: ' + err.message);
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
            onInput={(e) => set(e.target.value)} placeholder="thk_…" />
        </label>
        <div class="row">
          <button type="submit" disabled={busy || !key.trim()}>Sign in</button>
          {meta && (
            <button type="button" data-testid="oidc-sign-in" disabled={busy} onClick={oidc}>
              Sign in with password (OIDC)
            </button>
          )}
        </div>
      </form>
      <Message text={error} />
      <p class="hint">The key is kept in this page's memory only (a reload or a
        new tab asks again) and is sent as <code>Authorization: Bearer</code>.
        A JWT works the same way.
        {meta
          ? <> <b>Sign in with password</b> opens the server's own sign-in form
            (its OpenID Connect provider) for users of <code>oauth2.users</code> or
            {' '}<code>mqtt.users</code>; the console then holds a short-lived access
            token with your scopes, renewed while the tab is open.</>
          : <> Password users (<code>mqtt.users</code>, <code>pg.users</code>) sign in
            here when the server runs its OpenID Connect provider
            (<code>oauth2.enabled</code>); otherwise they sign in to MQTT and
            PostgreSQL only.</>}</p>
    </main>
  );
}
