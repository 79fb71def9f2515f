// API keys (admin; a tenant's admin manages its tenant's): the list with
// scopes, owner, expiry and revocation, create (the secret is shown once,
// here, and kept nowhere) and revoke (a second click confirms).
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message, use_load } from './common.jsx';

const all_scopes = ['data:read', 'data:write', 'query', 'jobs', 'cdc:read', 'admin'];

function when(ms) {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
}

export function Keys() {
  const [keys, error, reload] = use_load(async () => (await call('GET', '/api/v1/keys')).data.keys, []);
  const [name, set_name] = useState('');
  const [scopes, set_scopes] = useState(['data:read']);
  const [days, set_days] = useState('');
  const [secret, set_secret] = useState('');
  const [msg, set_msg] = useState(['', 'error']);
  const [armed, set_armed] = useState('');

  async function create(e) {
    e.preventDefault();
    set_msg(['', 'error']);
    set_secret('');
    try {
      const body = { name: name.trim(), scopes };
      if (days.trim()) body.expires_in_s = Math.round(Number(days) * 86400);
      const r = await call('POST', '/api/v1/keys', { body });
      set_secret(r.data.token || r.data.secret);
      set_name('');
      reload();
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  async function revoke(id) {
    if (armed !== id) return set_armed(id);
    set_armed('');
    try {
      await call('DELETE', '/api/v1/keys/' + enc(id));
      set_msg([`Revoked ${id}.`, 'ok']);
      reload();
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  const toggle = (s) => set_scopes(scopes.includes(s) ? scopes.filter((x) => x !== s) : [...scopes, s]);
  return (
    <div data-testid="keys-page">
      <h3>API keys</h3>
      <Message text={error} />
      <Message text={msg[0]} kind={msg[1]} />
      <form class="row" onSubmit={create}>
        <input name="key-name" placeholder="name" value={name} required
          onInput={(e) => set_name(e.target.value)} />
        {all_scopes.map((s) => (
          <label class="inline"><input type="checkbox" name={'scope-' + s} checked={scopes.includes(s)}
            onChange={() => toggle(s)} />{s}</label>
        ))}
        <input name="key-days" placeholder="expires in days" size={14} value={days}
          onInput={(e) => set_days(e.target.value)} />
        <button type="submit" data-testid="key-create">Create key</button>
      </form>
      {secret && <p class="msg ok" data-testid="key-secret">New key (shown once): <code>{secret}</code></p>}
      {keys && (
        <div class="scroll">
          <table data-testid="keys">
            <thead><tr><th>id</th><th>name</th><th>user</th><th>tenant</th><th>scopes</th>
              <th>created</th><th>expires</th><th></th></tr></thead>
            <tbody>
              {keys.map((k) => (
                <tr data-key-id={k.id} data-name={k.name} class={k.revoked_ms ? 'dim' : ''}>
                  <td><code>{k.id}</code></td>
                  <td>{k.name}</td>
                  <td>{k.user}</td>
                  <td>{k.tenant}</td>
                  <td>{(k.scopes || []).join(' ')}</td>
                  <td class="dim">{when(k.created_ms)}</td>
                  <td class="dim">{k.expires_ms ? when(k.expires_ms) : 'never'}</td>
                  <td class="actions">{k.revoked_ms
                    ? <span data-testid="key-revoked">revoked {when(k.revoked_ms)}</span>
                    : <button class="link danger" data-testid="key-revoke" onClick={() => revoke(k.id)}>
                      {armed === k.id ? 'Confirm revoke' : 'Revoke'}</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
