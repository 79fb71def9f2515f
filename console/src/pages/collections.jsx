// Collections with their document counts and sizes; create and drop.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, current_tenant, enc } from '../api.js';
import { human_bytes } from './collection_info.jsx';
import { Message, use_load } from './common.jsx';

/// The list comes in one call with each collection's count; a size needs
/// the collection's statistics (a scan of its documents: the list cannot
/// carry it cheaply), so the list is shown PAGE collections at a time and
/// sizes are asked for the shown page only, four calls at a time, each
/// collection once while the list is unchanged.
const PAGE = 25;

/// name -> documents_bytes (a number), or '' when the call failed (e.g.
/// a key the server refuses statistics); cleared when the list reloads.
function use_sizes(list, shown) {
  const cache = useRef({ list: null, sizes: {} });
  const [, bump] = useState(0);
  if (cache.current.list !== list) cache.current = { list, sizes: {} };
  useEffect(() => {
    let live = true;
    if (!shown) return undefined;
    const got = cache.current.sizes;
    const names = shown.map((c) => c.name).filter((n) => !(n in got));
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
        if (live) {
          got[n] = v;
          bump((x) => x + 1);
        }
      }
    }
    for (let i = 0; i < 4; i++) worker();
    return () => { live = false; };
  }, [shown]);
  return cache.current.sizes;
}

export function Collections() {
  const [data, error, reload] = use_load(() => call('GET', '/api/v1/collections').then((r) => r.data.collections), []);
  const [name, set_name] = useState('');
  const [msg, set_msg] = useState('');
  const [armed, set_armed] = useState('');
  const [at, set_at] = useState(0); // the first shown collection's index
  const first = data && at >= data.length ? Math.max(0, data.length - PAGE) : at;
  const shown = useMemo(() => data && data.slice(first, first + PAGE), [data, first]);
  const sizes = use_sizes(data, shown);

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
        <button type="button" class="link" onClick={reload} data-testid="coll-reload">Refresh</button>
      </form>
      <Message text={msg || error} />
      {data && (
        <div class="scroll">
          <table data-testid="collections">
            <thead><tr><th>name</th><th>documents</th><th>size</th><th>type</th><th /></tr></thead>
            <tbody>
              {shown.map((c) => (
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
      {data && data.length > PAGE && (
        <div class="row">
          <button disabled={first === 0} onClick={() => set_at(Math.max(0, first - PAGE))} data-testid="coll-prev">Previous</button>
          <span data-testid="coll-range">collections {first + 1}–{Math.min(first + PAGE, data.length)} of {data.length}</span>
          <button disabled={first + PAGE >= data.length} onClick={() => set_at(first + PAGE)} data-testid="coll-next">Next</button>
        </div>
      )}
      <p class="hint">Open a collection to browse its documents; <a href="#/query">Query</a> runs AQL over them.</p>
    </section>
  );
}
