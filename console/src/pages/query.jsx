// The AQL editor: bind variables as JSON, run (whole result), explain
// (the plan, nothing runs) and "run as job" (POST /v2/jobs, then the Jobs
// page follows it).
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { go } from '../router.js';
import { Editor } from '../editor.jsx';
import { Message } from './common.jsx';
import { Results } from './results.jsx';

// kept across page switches while the tab lives
const saved = { query: 'FOR d IN @@c\n  LIMIT 20\n  RETURN d', binds: '{\n  "@c": "c1"\n}' };

export function Query() {
  const [query, set_query] = useState(saved.query);
  const [binds, set_binds] = useState(saved.binds);
  const [out, set_out] = useState(null); // {rows, stats} | {plan}
  const [msg, set_msg] = useState(['', 'error']);
  const [busy, set_busy] = useState(false);

  function body() {
    saved.query = query;
    saved.binds = binds;
    let b = {};
    if (binds.trim()) b = JSON.parse(binds); // a SyntaxError is reported below
    return { query, bindVars: b };
  }

  async function run(kind) {
    set_busy(true);
    set_msg(['', 'error']);
    try {
      const b = body();
      if (kind === 'run') {
        const r = await call('POST', '/api/v1/query/aql', { body: b });
        set_out({ rows: r.data.result || [], stats: r.data.extra && r.data.extra.stats });
      } else if (kind === 'explain') {
        set_out({ plan: await explain(b) });
      } else {
        const r = await call('POST', '/v2/jobs', { body: b });
        set_msg([`Submitted job ${r.data.job_id}.`, 'ok']);
        go('jobs');
      }
    } catch (err) {
      set_msg([err instanceof SyntaxError ? 'Bind variables: ' + err.message : err.message, 'error']);
    } finally {
      set_busy(false);
    }
  }

  return (
    <section>
      <h2>Query</h2>
      <div class="split">
        <label class="grow">AQL
          <Editor value={query} lang="aql" label="AQL query" testid="aql" onChange={set_query} />
        </label>
        <label>Bind variables (JSON)
          <textarea name="binds" rows={5} value={binds} spellcheck={false}
            onInput={(e) => set_binds(e.target.value)} />
        </label>
      </div>
      <div class="row">
        <button disabled={busy} onClick={() => run('run')} data-testid="run">Run</button>
        <button disabled={busy} onClick={() => run('explain')} data-testid="explain">Explain</button>
        <button disabled={busy} onClick={() => run('job')} data-testid="run-job">Run as job</button>
      </div>
      <Message text={msg[0]} kind={msg[1]} />
      {out && out.rows && <Results rows={out.rows} />}
      {out && out.stats && <p class="hint" data-testid="stats">
        {out.stats.rowsScanned} rows scanned in {(out.stats.executionTime * 1000).toFixed(1)} ms</p>}
      {out && out.plan && <pre class="json" data-testid="plan">{JSON.stringify(out.plan, null, 2)}</pre>}
    </section>
  );
}

/** POST /api/v1/query/explain plans without running. */
async function explain(b) {
  const r = await call('POST', '/api/v1/query/explain', { body: b });
  return r.data;
}
