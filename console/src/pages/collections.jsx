// Collections with their document counts; create and drop.
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message, use_load } from './common.jsx';

export function Collections() {
  const [data, error, reload] = use_load(() => call('GET', '/api/v1/collections').then((r) => r.data.collections), []);
  const [name, set_name] = useState('');
  const [msg, set_msg] = useState('');
  const [armed, set_armed] = useState('');

  async function create(e) {
    e.preventDefault();
    try {
      await call('POST', '/api/v1/collections', { body: { name } });
      set_msg('');
      set_name('');
      reload();
    } catch (err) {
      set_msg(err.message);
    }
  }

  async function drop(c) {
    if (armed !== c) return set_armed(c); // a second click confirms
    set_armed('');
    try {
      await call('DELETE', '/api/v1/collections/' + enc(c));
      set_msg('');
      reload();
    } catch (err) {
      set_msg(err.message);
    }
  }

  return (
    <section>
      <h2>Collections</h2>
      <form class="row" onSubmit={create}>
        <input name="collection" placeholder="new collection" value={name}
          onInput={(e) => set_name(e.target.value)} required pattern="[A-Za-z0-9_\-]+" />
        <button type="submit" data-testid="create-collection">Create</button>
        <button type="button" class="link" onClick={reload}>Refresh</button>
      </form>
      <Message text={msg || error} />
      {data && (
        <div class="scroll">
          <table data-testid="collections">
            <thead><tr><th>name</th><th>documents</th><th>type</th><th /></tr></thead>
            <tbody>
              {data.map((c) => (
                <tr key={c.name} data-collection={c.name}>
                  <td><a href={'#/docs/' + enc(c.name)}>{c.name}</a></td>
                  <td class="num">{c.count}</td>
                  <td>{c.type}</td>
                  <td>
                    <button class="danger" onClick={() => drop(c.name)}>
                      {armed === c.name ? 'Confirm drop' : 'Drop'}
                    </button>
                  </td>
                </tr>
              ))}
              {data.length === 0 && <tr><td colSpan={4}>No collections yet.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
      {!data && !error && <p>Loading…</p>}
      <p class="hint">Open a collection to browse its documents; <a href="#/query">Query</a> runs AQL over them.</p>
    </section>
  );
}
