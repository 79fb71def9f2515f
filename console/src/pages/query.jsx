// The AQL editor: bind variables as JSON, run (the result streamed as
// NDJSON and paged through, query_stream.js; Stop cancels it), explain (the
// plan, nothing runs) and "run as job" (POST /v2/jobs, then the Jobs page
// follows it).
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api.js';
import { go } from '../router.js';
import { Editor } from '../editor.jsx';
import { stream_aql } from '../query_stream.js';
import { Message } from './common.jsx';
import { Results } from './results.jsx';

// kept across page switches while the tab lives
const saved = { query: 'FOR d IN @@c\n  LIMIT 20\n  RETURN d', binds: '{\n  "@c": "c1"\n}' };

export function Query() {
  const [query, set_query] = useState(saved.query);
  const [binds, set_binds] = useState(saved.binds);
  const [out, set_out] = useState(null); // {id, rows, more, ms} | {plan}
  const stream = useRef(null);
  useEffect(() => () => stream.current && stream.current.stop(), []);
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
    if (stream.current) stream.current.stop();
    set_busy(true);
    set_msg(['', 'error']);
    try {
      const b = body();
      if (kind === 'run') {
        run_streamed(b);
        return;
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

  function run_streamed(b) {
    if (stream.current) stream.current.stop();
    const id = Date.now();
    const started = performance.now();
    const rows = [];
    set_out({ id, rows, more: true, ms: 0 });
    const s = stream_aql(b, {
      rows: (batch) => {
        rows.push(...batch);
        set_out((o) => (o && o.id === id ? { ...o, rows } : o));
      },
      done: (err, stopped) => {
        if (stream.current === s) stream.current = null;
        set_busy(false);
        set_out((o) => (o && o.id === id ? { ...o, rows, more: false, stopped, ms: performance.now() - started } : o));
        if (err) set_msg([err.message, 'error']);
      },
    });
    stream.current = s;
  }

  function stop() {
    if (stream.current) stream.current.stop();
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
        {out && out.more && <button class="danger" onClick={stop} data-testid="stop">Stop</button>}
      </div>
      <Message text={msg[0]} kind={msg[1]} />
      {out && out.rows && <Results key={out.id} rows={out.rows} more={out.more}
        on_need={(n) => stream.current && stream.current.need(n)} />}
      {out && out.rows && !out.more && <p class="hint" data-testid="stats">
        {out.rows.length} rows {out.stopped ? 'read before Stop' : 'streamed'} in {out.ms.toFixed(1)} ms</p>}
      {out && out.plan && <pre class="json" data-testid="plan">{JSON.stringify(out.plan, null, 2)}</pre>}
    </section>
  );
}

/** POST /api/v1/query/explain plans without running. */
async function explain(b) {
  const r = await call('POST', '/api/v1/query/explain', { body: b });
  return r.data;
}
