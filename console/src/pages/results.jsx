// A query result as a table (columns: the union of the shown rows'
// fields, or the SQL result's own `columns` with rows as arrays) or as
// JSON, 100 rows a page with previous/next through all of them. A streamed
// result (query.jsx) grows while it is shown: `more` says rows are still
// coming and `on_need(n)` asks the stream to read up to row n (it reads
// only as far as the pages need).
import { useEffect, useState } from 'preact/hooks';

const page_rows = 100;

function cell(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function Results({ rows, columns, more = false, on_need }) {
  const [as_json, set_json] = useState(false);
  const [first, set_first] = useState(0);
  const last = first + page_rows; // exclusive
  useEffect(() => { if (on_need) on_need(last); }, [last]);
  let shown = rows.slice(first, last);
  const as_objects = columns
    ? shown.map((r) => Object.fromEntries(r.map((v, i) => [columns[i].name, v])))
    : shown;
  let objects = shown.every((r) => r && typeof r === 'object' && !Array.isArray(r));
  let cols = [];
  if (columns) {
    // SQL: names may repeat (SELECT 1, 1), so cells go by position
    cols = columns.map((c) => c.name);
    objects = true;
    shown = shown.map((r) => Object.fromEntries(r.map((v, i) => [i, v])));
  } else if (objects)
    for (const r of shown)
      for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const key_of = (c, i) => (columns ? i : c);
  const n = rows.length;
  const paged = n > page_rows || first > 0 || more;
  return (
    <div data-testid="results">
      <div class="row">
        <span data-testid="result-count">{n} row{n === 1 ? '' : 's'}{more ? ' so far…' : ''}</span>
        <button class="link" onClick={() => set_json(!as_json)}>{as_json ? 'Table' : 'JSON'}</button>
      </div>
      {paged && (
        <div class="row">
          <button disabled={first === 0} onClick={() => set_first(Math.max(0, first - page_rows))} data-testid="rows-prev">Previous</button>
          <span data-testid="rows-range">rows {shown.length ? first + 1 : 0}–{first + shown.length} of {n}{more ? '+' : ''}</span>
          <button disabled={!more && last >= n} onClick={() => set_first(last)} data-testid="rows-next">Next</button>
        </div>
      )}
      {as_json ? (
        <pre class="json">{JSON.stringify(as_objects, null, 2)}</pre>
      ) : (
        <div class="scroll">
          <table>
            <thead><tr>{objects ? cols.map((c) => <th>{c}</th>) : <th>value</th>}</tr></thead>
            <tbody>
              {shown.map((r) => (
                <tr>{objects ? cols.map((c, i) => <td>{cell(r[key_of(c, i)])}</td>) : <td>{cell(r)}</td>}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
