// A query result as a table (columns: the union of the rows' fields, or
// the SQL result's own `columns` with rows as arrays) or as JSON. Only the
// first rows are drawn; the count says how many came.
import { useState } from 'preact/hooks';

const max_rows = 500;

function cell(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function Results({ rows, columns }) {
  const [as_json, set_json] = useState(false);
  let shown = rows.slice(0, max_rows);
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
  return (
    <div data-testid="results">
      <div class="row">
        <span data-testid="result-count">{rows.length} row{rows.length === 1 ? '' : 's'}</span>
        <button class="link" onClick={() => set_json(!as_json)}>{as_json ? 'Table' : 'JSON'}</button>
      </div>
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
      {rows.length > max_rows && <p class="hint">First {max_rows} rows shown.</p>}
    </div>
  );
}
