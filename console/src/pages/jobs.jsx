// Async jobs, polled once a second: status, a progress bar, rows scanned
// and produced, elapsed time, cancel, delete and the result.
//
// The server reports counts, not a total (docs/jobs.md). Where the total
// can be known before the query ends, the bar is determinate: a query
// that starts with `FOR x IN a..b` scans b-a+1 values, `FOR d IN coll`
// scans the collection's count. Otherwise the bar is indeterminate and
// shows the counts only.
import { useCallback, useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message, use_interval, use_load } from './common.jsx';
import { Results } from './results.jsx';

const finished = new Set(['completed', 'failed', 'cancelled']);

function parse_time(s) {
  return s ? Date.parse(s) : null;
}

function seconds(ms) {
  return ms < 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 1000) + ' s';
}

/** The number of rows the query's first loop scans, when it says. */
export function estimate_total(query, counts) {
  const range = /^\s*FOR\s+\w+\s+IN\s+(-?\d+)\s*\.\.\s*(-?\d+)/i.exec(query);
  if (range) return Math.max(0, Number(range[2]) - Number(range[1]) + 1);
  const coll = /^\s*FOR\s+\w+\s+IN\s+([A-Za-z_][\w-]*)\s/i.exec(query);
  if (coll && counts[coll[1]] !== undefined) return counts[coll[1]];
  return null;
}

function Progress({ job, counts, now }) {
  const p = job.progress || {};
  const started = parse_time(job.started_at);
  const end = parse_time(job.finished_at) || now;
  const elapsed = started ? end - started : 0;
  let fraction = null;
  if (job.status === 'completed') fraction = 1;
  else if (!finished.has(job.status)) {
    const total = estimate_total(job.query || '', counts);
    if (total) fraction = Math.min(1, (p.rows_scanned || 0) / total);
  }
  let eta = '';
  if (fraction && fraction < 1 && elapsed > 0)
    eta = ', about ' + seconds(elapsed * (1 - fraction) / fraction) + ' left';
  return (
    <div class="progress">
      {fraction === null && !finished.has(job.status)
        ? <progress data-testid="job-progress" />
        : <progress data-testid="job-progress" max={1} value={fraction || 0} />}
      <span class="dim" data-testid="job-counts">
        {(p.rows_scanned || 0).toLocaleString('en')} scanned, {(p.rows_produced || 0).toLocaleString('en')} produced
        {started ? ', ' + seconds(elapsed) : ''}{fraction !== null && fraction < 1 ? ` (${Math.floor(fraction * 100)}%${eta})` : ''}
      </span>
    </div>
  );
}

const result_page = 100;

/** One page of a job's result: {id, rows, tokens (of the pages up to this
 *  one: [null, t1, …]), next (the token after it, or null), count}. */
async function result_at(id, tokens) {
  const t = tokens[tokens.length - 1];
  const q = '?page_size=' + result_page + (t ? '&page_token=' + enc(t) : '');
  const r = await call('GET', '/v2/jobs/' + enc(id) + '/result' + q);
  return {
    id, tokens, rows: r.data.result || r.data.results || [],
    next: r.data.next_page_token || null, count: r.data.result_count,
  };
}

/** "rows a–b of n", previous and next page of a job's result. */
function ResultPager({ result, go_to }) {
  const first = (result.tokens.length - 1) * result_page;
  return (
    <div class="row">
      <button disabled={result.tokens.length < 2} data-testid="result-prev"
        onClick={() => go_to(result.tokens.slice(0, -1))}>‹ Prev</button>
      <span data-testid="result-range">rows {result.rows.length ? first + 1 : 0}–{first + result.rows.length}
        {result.count != null ? ' of ' + result.count : ''}</span>
      <button disabled={!result.next} data-testid="result-next"
        onClick={() => go_to([...result.tokens, result.next])}>Next ›</button>
    </div>
  );
}

export function Jobs() {
  const [jobs, error, reload] = use_load(() => call('GET', '/v2/jobs').then((r) => r.data), []);
  const [counts, set_counts] = useState({});
  const [result, set_result] = useState(null);
  const [msg, set_msg] = useState('');
  const [now, set_now] = useState(Date.now());

  const tick = useCallback(() => {
    set_now(Date.now());
    reload();
  }, [reload]);
  use_interval(tick, 1000);
  // collection counts for the estimate, once per visit
  use_load(() => call('GET', '/api/v1/collections').then((r) => {
    const c = {};
    for (const x of r.data.collections) c[x.name] = x.count;
    set_counts(c);
  }), []);

  async function act(method, path, then) {
    try {
      const r = await call(method, path);
      set_msg('');
      if (then) then(r);
      reload();
    } catch (err) {
      set_msg(err.message);
    }
  }

  async function show_result(id, tokens) {
    try {
      set_result(await result_at(id, tokens));
      set_msg('');
    } catch (err) {
      set_msg(err.message);
    }
  }

  const list = (jobs || []).slice().sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  return (
    <section>
      <h2>Jobs</h2>
      <Message text={msg || error} />
      <div class="scroll">
        <table data-testid="jobs">
          <thead><tr><th>job</th><th>status</th><th>progress</th><th>query</th><th /></tr></thead>
          <tbody>
            {list.map((j) => (
              <tr key={j.job_id} data-job={j.job_id} data-status={j.status}>
                <td><code>{j.job_id.slice(0, 12)}…</code></td>
                <td><span class={'status ' + j.status}>{j.status}</span>
                  {j.error && <div class="dim" data-testid="job-error">{j.error}</div>}</td>
                <td><Progress job={j} counts={counts} now={now} /></td>
                <td class="query"><code>{j.query}</code></td>
                <td class="actions">
                  {!finished.has(j.status) &&
                    <button class="danger" data-testid="cancel" onClick={() => act('DELETE', '/v2/jobs/' + enc(j.job_id))}>Cancel</button>}
                  {j.status === 'completed' &&
                    <button data-testid="result" onClick={() => show_result(j.job_id, [null])}>Result</button>}
                  {finished.has(j.status) &&
                    <button class="link" onClick={() => act('DELETE', '/api/v1/jobs/' + enc(j.job_id))}>Delete</button>}
                </td>
              </tr>
            ))}
            {jobs && list.length === 0 && <tr><td colSpan={5}>No jobs. “Run as job” on the Query page submits one.</td></tr>}
          </tbody>
        </table>
      </div>
      {result && (
        <>
          <h3>Result of {result.id}</h3>
          <ResultPager result={result} go_to={(tokens) => show_result(result.id, tokens)} />
          <Results rows={result.rows} />
        </>
      )}
    </section>
  );
}
