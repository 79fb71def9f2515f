// The SQL editor: one read-only statement in PostgreSQL's dialect through
// POST /api/v1/query/sql (the engine of the PostgreSQL port, the key's
// tenant and scopes). Errors show their SQLSTATE; writes are refused by
// the server (use the PostgreSQL port).
import { useState } from 'preact/hooks';
import { run_sql } from '../api.js';
import { Editor } from '../editor.jsx';
import { Message } from './common.jsx';
import { Results } from './results.jsx';

// kept across page switches while the tab lives
const saved = { query: 'SELECT table_name\n  FROM information_schema.tables\n WHERE table_schema = \'public\'' };

export function Sql() {
  const [query, set_query] = useState(saved.query);
  const [out, set_out] = useState(null);
  const [msg, set_msg] = useState('');
  const [busy, set_busy] = useState(false);

  async function run() {
    saved.query = query;
    set_busy(true);
    set_msg('');
    try {
      set_out(await run_sql(query));
    } catch (err) {
      set_out(null);
      set_msg(err.message);
    } finally {
      set_busy(false);
    }
  }

  return (
    <section>
      <h2>SQL</h2>
      <label>SQL (PostgreSQL dialect, one read-only statement)
        <Editor value={query} lang="sql" label="SQL query" testid="sql" onChange={set_query} />
      </label>
      <div class="row">
        <button disabled={busy} onClick={run} data-testid="sql-run">Run</button>
      </div>
      <Message text={msg} />
      {out && <Results rows={out.rows} columns={out.columns} />}
      {out && <p class="hint" data-testid="sql-stats">
        {out.command}{out.truncated ? ' (more rows than returned)' : ''} in {out.ms.toFixed(1)} ms</p>}
    </section>
  );
}
