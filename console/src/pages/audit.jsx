// The audit log (admin; a tenant's admin reads its tenant's): newest
// first, 50 a page, filtered by action and user (substrings), from
// GET /api/audit (docs/security.md).
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message, use_load } from './common.jsx';

const page_size = 50;

export function Audit() {
  const [page, set_page] = useState(1);
  const [action, set_action] = useState('');
  const [user, set_user] = useState('');
  const [applied, set_applied] = useState({ action: '', user: '' });
  const [data, error, reload] = use_load(async () => {
    let q = `/api/audit?page=${page}&page_size=${page_size}`;
    if (applied.action) q += '&action=' + enc(applied.action);
    if (applied.user) q += '&user=' + enc(applied.user);
    return (await call('GET', q)).data;
  }, [page, applied]);

  function filter(e) {
    e.preventDefault();
    set_page(1);
    set_applied({ action: action.trim(), user: user.trim() });
  }

  return (
    <div data-testid="audit-page">
      <h3>Audit log</h3>
      <Message text={error} />
      <form class="row" onSubmit={filter}>
        <input name="audit-action" placeholder="action (key, auth …)" value={action}
          onInput={(e) => set_action(e.target.value)} />
        <input name="audit-user" placeholder="user" value={user} onInput={(e) => set_user(e.target.value)} />
        <button type="submit" data-testid="audit-filter">Filter</button>
        <button type="button" onClick={reload}>Refresh</button>
      </form>
      {data && (
        <>
          <div class="scroll">
            <table data-testid="audit">
              <thead><tr><th>time (UTC)</th><th>action</th><th>outcome</th><th>user</th><th>tenant</th>
                <th>protocol</th><th>remote</th><th>detail</th></tr></thead>
              <tbody>
                {data.entries.map((e) => (
                  <tr data-seq={e.seq}>
                    <td class="dim">{e.timestamp}</td>
                    <td><code>{e.action}</code></td>
                    <td><span class={'status ' + (e.success ? 'completed' : 'failed')}>{e.outcome}</span></td>
                    <td>{e.user}</td>
                    <td>{e.tenant}</td>
                    <td>{e.protocol}</td>
                    <td>{e.remote}</td>
                    <td class="query"><code>{e.detail}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="row">
            <button class="link" disabled={page <= 1} onClick={() => set_page(page - 1)}>Newer</button>
            <span class="dim" data-testid="audit-total">page {page}, {data.totalCount} events</span>
            <button class="link" disabled={!data.hasMore} onClick={() => set_page(page + 1)}>Older</button>
          </div>
        </>
      )}
    </div>
  );
}
