// Collections with their document counts and sizes; create and drop.
import { useEffect, useState } from 'preact/hooks';
import { call, current_tenant, enc } from '../api.js';
import { human_bytes } from './collection_info.jsx';
import { Message, use_load } from './common.jsx';

/// Sizes are asked for the first SIZED collections only, four calls at a
/// time: one statistics call per listed collection, bounded so a tenant
/// with thousands of collections does not fire thousands of requests.
const SIZED = 100;

/// name -> documents_bytes (a number), or '' when the call failed (e.g.
/// a key the server refuses statistics); reloaded with the list.
function use_sizes(list) {
  const [sizes, set_sizes] = useState({});
  useEffect(() => {
    let live = true;
    set_sizes({});
    if (!list) return undefined;
    const names = list.slice(0, SIZED).map((c) => c.name);
    let next = 0;
    async function worker() {
      while (live && next < names.length) {
        const n = names[next++];
        let v = '';
        try {
          // a global admin's list names other tenants' collections
          // "tenant.name" (names have no dot): ask in that tenant
          const dot = current_tenant() ? -1 : n.indexOf('.');
          const headers = dot > 0 ? { 'X-Tenant-ID': n.slice(0, dot) } : {};
          const path = '/api/v1/collections/' + enc(dot > 0 ? n.slice(dot + 1) : n) + '/statistics';
          v = (await call('GET', path, { headers })).data.documents_bytes;
        } catch (err) {
          v = '';
        }
        if (live) set_sizes((s) => ({ ...s, [n]: v }));
      }
    }
    for (let i = 0; i < 4; i++) worker();
    return () => { live = false; };
  }, [list]);
  return sizes;
}

export function Collections() {
  const [data, error, reload] = use_load(() => call('GET', '/api/v1/collections').then((r) => r.data.collections), []);
  const [name, set_name] = useState('');
  const [msg, set_msg] = useState('');
  const [armed, set_armed] = useState('');
  const sizes = use_sizes(data);

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
            <thead><tr><th>name</th><th>documents</th><th>size</th><th>type</th><th /></tr></thead>
            <tbody>
              {data.map((c) => (
                <tr key={c.name} data-collection={c.name}>
                  <td><a href={'#/docs/' + enc(c.name)}>{c.name}</a></td>
                  <td class="num">{c.count}</td>
                  <td class="num" data-testid="size" title="bytes of stored JSON (statistics)">
                    {c.name in sizes ? (sizes[c.name] === '' ? '—' : human_bytes(sizes[c.name])) : '…'}</td>
                  <td>{c.type}</td>
                  <td>
                    <button class="danger" onClick={() => drop(c.name)}>
                      {armed === c.name ? 'Confirm drop' : 'Drop'}
                    </button>
                  </td>
                </tr>
              ))}
              {data.length === 0 && <tr><td colSpan={5}>No collections yet.</td></tr>}
            </tbody>
          </table>
        </div>
      )}
      {!data && !error && <p>Loading…</p>}
      {data && data.length > SIZED && <p class="hint">Sizes are shown for the first {SIZED} collections.</p>}
      <p class="hint">Open a collection to browse its documents; <a href="#/query">Query</a> runs AQL over them.</p>
    </section>
  );
}
