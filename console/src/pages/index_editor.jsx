// A collection's indexes (GET …/indexes: every kind, with the persistent
// and TTL ones' entries and bytes from the statistics), a form that
// creates a persistent or TTL index (POST …/indexes; "in the background"
// builds it beside other writes and shows its progress until it is ready)
// and Drop (DELETE …/indexes/{name}, a second click confirms) for the kinds
// the REST API made. Every refusal (409 unique violated, 403 without
// data:write…) is the server's and is shown as it says.
import { useEffect, useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { human_bytes } from './collection_info.jsx';
import { Message, use_load } from './common.jsx';

const droppable = new Set(['persistent', 'ttl', 'hash', 'skiplist']);

function progress_of(x) {
  if (x.state !== 'building') return x.state || 'ready';
  const p = x.progress || {};
  return 'building' + (p.percent !== undefined ? ` ${Math.round(p.percent)} %` : '');
}

export function IndexEditor({ collection, sizes, on_change }) {
  const base = '/api/v1/collections/' + enc(collection) + '/indexes';
  const [list, error, reload] = use_load(() => call('GET', base).then((r) => r.data.indexes || []), [collection]);
  const [form, set_form] = useState({ type: 'persistent', fields: '', name: '', unique: false, sparse: false, background: false, expire: '3600' });
  const [msg, set_msg] = useState(['', 'error']);
  const [armed, set_armed] = useState('');
  const set = (k) => (e) => set_form({ ...form, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });

  // a background build: poll until no index is building any more
  const building = (list || []).some((x) => x.state === 'building');
  useEffect(() => {
    if (!building) return undefined;
    const t = setTimeout(() => { reload(); on_change(); }, 1000);
    return () => clearTimeout(t);
  }, [list]);

  async function create(e) {
    e.preventDefault();
    const body = { type: form.type, fields: form.fields.split(',').map((f) => f.trim()).filter(Boolean) };
    if (form.name.trim()) body.name = form.name.trim();
    if (form.type === 'ttl') body.expireAfter = Number(form.expire);
    else Object.assign(body, { unique: form.unique, sparse: form.sparse, inBackground: form.background });
    try {
      const r = await call('POST', base, { body });
      set_msg([r.data.isNewlyCreated === false ? `An identical index exists: ${r.data.name}.` : `Created ${r.data.name}.`, 'ok']);
      set_form({ ...form, fields: '', name: '' });
    } catch (err) {
      set_msg([err.message, 'error']);
    }
    reload();
    on_change();
  }

  async function drop(name) {
    if (armed !== name) return set_armed(name); // a second click confirms
    set_armed('');
    try {
      await call('DELETE', base + '/' + enc(name));
      set_msg([`Dropped ${name}.`, 'ok']);
    } catch (err) {
      set_msg([err.message, 'error']);
    }
    reload();
    on_change();
  }

  return (
    <div data-testid="index-editor">
      <Message text={error} />
      {list && (
        <div class="scroll">
          <table data-testid="coll-indexes">
            <thead><tr><th>index</th><th>type</th><th>fields</th><th>state</th><th>entries</th><th>size</th><th /></tr></thead>
            <tbody>
              {list.map((x) => {
                const s = sizes[x.name];
                return (
                  <tr key={x.name} data-index={x.name}>
                    <td>{x.name}</td>
                    <td>{x.type}{x.unique ? ', unique' : ''}{x.sparse ? ', sparse' : ''}{x.expireAfter !== undefined ? `, ${x.expireAfter} s` : ''}</td>
                    <td>{(x.fields || []).join(', ')}</td>
                    <td data-testid="index-state">{progress_of(x)}</td>
                    <td class="num">{s ? s.entries : ''}</td>
                    <td class="num">{s ? human_bytes(s.bytes) : ''}</td>
                    <td>{droppable.has(x.type) && (
                      <button class="danger" data-testid="index-drop" onClick={() => drop(x.name)}>
                        {armed === x.name ? 'Confirm drop' : 'Drop'}</button>)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <form class="row" onSubmit={create} data-testid="index-form">
        <select name="index-type" value={form.type} onChange={set('type')} aria-label="index type">
          <option value="persistent">persistent</option>
          <option value="ttl">ttl</option>
        </select>
        <input name="index-fields" placeholder="fields: a.b, c" value={form.fields} onInput={set('fields')} required />
        <input name="index-name" placeholder="name (optional)" size={12} value={form.name} onInput={set('name')} />
        {form.type === 'ttl'
          ? <label class="inline">expire after (s)
            <input name="index-expire" size={6} value={form.expire} onInput={set('expire')} /></label>
          : <>
            <label class="inline"><input type="checkbox" name="index-unique" checked={form.unique} onChange={set('unique')} /> unique</label>
            <label class="inline"><input type="checkbox" name="index-sparse" checked={form.sparse} onChange={set('sparse')} /> sparse</label>
            <label class="inline"><input type="checkbox" name="index-background" checked={form.background} onChange={set('background')} /> in the background</label>
          </>}
        <button type="submit" data-testid="index-create">Create index</button>
      </form>
      <Message text={msg[0]} kind={msg[1]} />
    </div>
  );
}
