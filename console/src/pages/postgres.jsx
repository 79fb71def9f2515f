// PostgreSQL sessions: pg_stat_activity through the SQL endpoint, polled
// every 2 s, with pg_cancel_backend (the running statement) and
// pg_terminate_backend (the connection; a second click confirms). The
// server shows and lets signal only what the key may on the PG port: its
// tenant's sessions, and only its own user's unless it is an admin.
import { useCallback, useState } from 'preact/hooks';
import { run_sql } from '../api.js';
import { Message, use_interval, use_load } from './common.jsx';

const activity =
  'SELECT pid, usename, datname, application_name, client_addr, client_port, ' +
  'state, backend_start, query_start, query FROM pg_stat_activity ORDER BY pid';

export function Postgres() {
  const [rows, error, reload] = use_load(() => run_sql(activity), []);
  const [msg, set_msg] = useState(['', 'error']);
  const [armed, set_armed] = useState(0); // pid whose terminate awaits a confirm
  use_interval(useCallback(() => reload(), [reload]), 2000);

  async function signal(fn, pid) {
    if (fn === 'pg_terminate_backend' && armed !== pid) {
      set_armed(pid);
      return;
    }
    set_armed(0);
    try {
      // pid comes from the server's own rows; Number() keeps it a literal
      const r = await run_sql(`SELECT ${fn}(${Number(pid)}) AS ok`);
      const ok = r.rows.length && r.rows[0][0];
      set_msg([ok ? `${fn}(${pid}): sent.` : `${fn}(${pid}): no such session.`, ok ? 'ok' : 'error']);
      reload();
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  const cols = rows ? rows.columns.map((c) => c.name) : [];
  const at = (r, name) => r[cols.indexOf(name)];
  return (
    <section>
      <h2>PostgreSQL sessions</h2>
      <Message text={error} />
      <Message text={msg[0]} kind={msg[1]} />
      {rows && (
        <div class="scroll">
          <table data-testid="pg-sessions">
            <thead><tr>
              <th>pid</th><th>user</th><th>database</th><th>application</th>
              <th>client</th><th>state</th><th>since</th><th>query</th><th></th>
            </tr></thead>
            <tbody>
              {rows.rows.map((r) => {
                const pid = at(r, 'pid');
                return (
                  <tr data-pid={pid}>
                    <td class="num">{pid}</td>
                    <td>{at(r, 'usename')}</td>
                    <td>{at(r, 'datname')}</td>
                    <td data-testid="pg-app">{at(r, 'application_name')}</td>
                    <td>{at(r, 'client_addr') ? `${at(r, 'client_addr')}:${at(r, 'client_port')}` : 'local'}</td>
                    <td><span class={'status ' + at(r, 'state')}>{at(r, 'state')}</span></td>
                    <td class="dim">{at(r, 'query_start') || at(r, 'backend_start')}</td>
                    <td class="query"><code>{at(r, 'query')}</code></td>
                    <td class="actions">
                      <button class="link" data-testid="pg-cancel" onClick={() => signal('pg_cancel_backend', pid)}>Cancel</button>
                      <button class="link danger" data-testid="pg-terminate"
                        onClick={() => signal('pg_terminate_backend', pid)}>
                        {armed === pid ? 'Confirm terminate' : 'Terminate'}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {!rows.rows.length && <p class="hint">No PostgreSQL sessions this key may see.</p>}
        </div>
      )}
    </section>
  );
}
