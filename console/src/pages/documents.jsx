// One collection's documents, a page at a time (the server's `after`
// cursor), and a JSON editor that saves with If-Match: a document changed
// by someone else since it was opened is refused (412) and shown, never
// overwritten.
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Editor } from '../editor.jsx';
import { Message, use_load } from './common.jsx';
import { CollectionInfo } from './collection_info.jsx';

const page_size = 20;
let loads = 0; // remounts the editor on every load, whatever it held

export function Documents({ collection }) {
  const base = '/api/v1/collections/' + enc(collection) + '/documents';
  // cursors of the pages seen so far: [null, after1, after2, …]
  const [cursors, set_cursors] = useState([null]);
  const after = cursors[cursors.length - 1];
  const [page, error, reload] = use_load(() => {
    const q = '?limit=' + page_size + (after ? '&after=' + enc(after) : '');
    return call('GET', base + q).then((r) => r.data);
  }, [collection, after]);
  const [open, set_open] = useState(null); // {key, etag, text}
  const [msg, set_msg] = useState(['', 'error']);

  async function load(key) {
    try {
      const r = await call('GET', base + '/' + enc(key));
      set_open({ n: ++loads, key, etag: r.headers.get('ETag'), text: JSON.stringify(r.data, null, 2) });
      set_msg(['', 'error']);
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  async function save() {
    let doc;
    try {
      doc = JSON.parse(open.text);
    } catch (err) {
      return set_msg(['Not valid JSON: ' + err.message, 'error']);
    }
    const creating = open.key === null;
    try {
      const r = creating
        ? await call('POST', base, { body: doc })
        : await call('PUT', base + '/' + enc(open.key), {
          body: doc, headers: open.etag ? { 'If-Match': open.etag } : {},
        });
      set_open({ n: ++loads, key: r.data._key, etag: r.headers.get('ETag'), text: JSON.stringify(r.data, null, 2) });
      set_msg([`Saved ${r.data._key} (revision ${r.data._rev}).`, 'ok']);
      reload();
    } catch (err) {
      if (err.status === 412)
        set_msg([`Conflict: the document changed since you opened it (${err.message}). ` +
          'Reload it to see the current version.', 'error']);
      else if (err.status === 403)
        set_msg([`Not saved: this key may not write (${err.message}).`, 'error']);
      else set_msg([err.message, 'error']);
    }
  }

  async function remove() {
    try {
      await call('DELETE', base + '/' + enc(open.key), { headers: open.etag ? { 'If-Match': open.etag } : {} });
      set_open(null);
      set_msg(['Deleted.', 'ok']);
      reload();
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  const docs = page ? page.documents : [];
  return (
    <section>
      <h2><a href="#/collections">Collections</a> / {collection}</h2>
      <CollectionInfo collection={collection} />
      <Message text={error} />
      <div class="split">
        <div>
          <div class="row">
            <button disabled={cursors.length < 2} onClick={() => set_cursors(cursors.slice(0, -1))}>‹ Prev</button>
            <span data-testid="page-no">page {cursors.length}</span>
            <button disabled={!page || !page.next_after || docs.length < page_size}
              onClick={() => set_cursors([...cursors, page.next_after])}>Next ›</button>
            <button onClick={() => set_open({ n: ++loads, key: null, etag: null, text: '{\n  "_key": ""\n}' })}>New</button>
          </div>
          <ul class="keys" data-testid="documents">
            {docs.map((d) => (
              <li key={d._key}>
                <button class={'link' + (open && open.key === d._key ? ' active' : '')}
                  data-key={d._key} onClick={() => load(d._key)}>{d._key}</button>
                <span class="dim"> rev {d._rev}</span>
              </li>
            ))}
            {page && docs.length === 0 && <li>No documents.</li>}
          </ul>
        </div>
        {open && (
          <div>
            <h3>{open.key === null ? 'New document' : open.key}
              {open.etag && <span class="dim"> ETag {open.etag}</span>}</h3>
            <Editor key={open.n} value={open.text} lang="json" label="document JSON" testid="doc-editor"
              onChange={(t) => { open.text = t; }} />
            <div class="row">
              <button onClick={save} data-testid="save">Save</button>
              {open.key !== null && <button onClick={() => load(open.key)}>Reload</button>}
              {open.key !== null && <button class="danger" onClick={remove}>Delete</button>}
            </div>
          </div>
        )}
      </div>
      <Message text={msg[0]} kind={msg[1]} />
    </section>
  );
}
