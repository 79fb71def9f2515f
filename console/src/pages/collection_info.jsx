// A collection's size, indexes and schema, beside its documents: the
// statistics (document count, bytes of stored JSON, each persistent/TTL
// index's entries and bytes from SQLite's dbstat) on opening and on
// Refresh; the indexes with create and drop (index_editor.jsx) and the
// validation schema, shown, edited or removed (schema_editor.jsx).
import { call, enc } from '../api.js';
import { Message, use_load } from './common.jsx';
import { IndexEditor } from './index_editor.jsx';
import { SchemaEditor } from './schema_editor.jsx';

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
  const indexes = (stats && stats.indexes) || [];
  const sizes = Object.fromEntries(indexes.map((x) => [x.name, x]));
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
        <button onClick={reload} data-testid="coll-refresh">Refresh</button>
      </div>
      <IndexEditor collection={collection} sizes={sizes} on_change={reload} />
      <SchemaEditor collection={collection} />
    </details>
  );
}
