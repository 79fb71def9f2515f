// A collection's size, indexes and schema, beside its documents: the
// statistics (document count, bytes of stored JSON, each index's entries
// and bytes from SQLite's dbstat) on opening and on Refresh, and the
// validation schema when asked for (GET …/schema answers 404 when there
// is none, which is shown as "no schema").
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message, use_load } from './common.jsx';

export function human_bytes(n) {
  if (!(n >= 0)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

export function CollectionInfo({ collection }) {
  const base = '/api/v1/collections/' + enc(collection);
  const [stats, error, reload] = use_load(
    () => call('GET', base + '/statistics').then((r) => r.data), [collection]);
  const [schema, set_schema] = useState(null); // {text} once asked
  const [schema_error, set_schema_error] = useState('');

  async function show_schema() {
    set_schema_error('');
    try {
      const r = await call('GET', base + '/schema');
      set_schema({ text: JSON.stringify({ rule: r.data.rule, level: r.data.level, message: r.data.message }, null, 2) });
    } catch (err) {
      if (err.status === 404) set_schema({ text: '' });
      else set_schema_error(err.message);
    }
  }

  const indexes = (stats && stats.indexes) || [];
  return (
    <details class="info" data-testid="coll-info">
      <summary>
        {stats
          ? <span data-testid="coll-stats">{stats.count} document{stats.count === 1 ? '' : 's'},{' '}
            {human_bytes(stats.documents_bytes)} of JSON, {indexes.length} index{indexes.length === 1 ? '' : 'es'}</span>
          : 'size, indexes, schema'}
      </summary>
      <Message text={error} />
      <div class="row">
        <button onClick={reload}>Refresh</button>
        <button onClick={show_schema} data-testid="show-schema">Schema</button>
      </div>
      {indexes.length > 0 && (
        <div class="scroll">
          <table data-testid="coll-indexes">
            <thead><tr><th>index</th><th>type</th><th>entries</th><th>size</th></tr></thead>
            <tbody>
              {indexes.map((x) => (
                <tr key={x.name}><td>{x.name}</td><td>{x.type}</td>
                  <td class="num">{x.entries}</td><td class="num">{human_bytes(x.bytes)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Message text={schema_error} />
      {schema && (schema.text
        ? <pre class="json" data-testid="coll-schema">{schema.text}</pre>
        : <p class="dim" data-testid="coll-schema">No schema: documents are not validated.</p>)}
    </details>
  );
}
