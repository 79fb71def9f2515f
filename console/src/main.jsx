// The console's shell: sign-in, navigation, and the page of the route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, current_key, current_tenant, on_key_change, set_tenant } from './api.js';
import { go, use_route } from './router.js';
import { finish_sign_in, sign_out } from './oidc.js';
import { Login } from './pages/login.jsx';
import { Collections } from './pages/collections.jsx';
import { Documents } from './pages/documents.jsx';
import { Query } from './pages/query.jsx';
import { Sql } from './pages/sql.jsx';
import { Postgres } from './pages/postgres.jsx';
import { Mqtt } from './pages/mqtt.jsx';
import { Jobs } from './pages/jobs.jsx';
import { Changes } from './pages/changes.jsx';
import { Server } from './pages/server.jsx';
import './style.css';

const pages = [
  ['collections', 'Collections'],
  ['query', 'Query'],
  ['sql', 'SQL'],
  ['jobs', 'Jobs'],
  ['changes', 'Changes'],
  ['postgres', 'PostgreSQL'],
  ['mqtt', 'MQTT'],
  ['server', 'Server'],
];

/** Who the key is (GET /api/v1/whoami): user and tenant shown in the
 *  header; a global admin may switch the tenant it acts in. */
function Identity({ me, tenant, on_tenant }) {
  const [draft, set_draft] = useState(tenant);
  if (!me) return null;
  const who = (me.user || me.via) + (me.tenant ? ' @ ' + me.tenant : '');
  if (!me.global_admin) return <span class="dim" data-testid="whoami">{who}</span>;
  return (
    <form class="tenant" data-testid="tenant-switch" onSubmit={(e) => { e.preventDefault(); on_tenant(draft.trim()); }}>
      <span class="dim" data-testid="whoami">{who}</span>
      <input name="tenant" placeholder="tenant (global)" size={12} value={draft}
        onInput={(e) => set_draft(e.target.value)} aria-label="act in tenant" />
      <button type="submit" data-testid="tenant-apply">Switch</button>
    </form>
  );
}

function App() {
  const route = use_route();
  const [key, set] = useState(current_key());
  const [tenant, set_t] = useState(current_tenant());
  const [me, set_me] = useState(null);
  useEffect(() => on_key_change(set), []);
  useEffect(() => {
    set_me(null);
    // a tenant the server refuses (400, 403) would refuse every call: back
    // to the key's own namespace
    if (key) call('GET', '/api/v1/whoami').then((r) => set_me(r.data),
      () => { if (current_tenant()) switch_tenant(''); });
  }, [key, tenant]);

  function switch_tenant(t) {
    set_tenant(t);
    set_t(t);
  }

  if (!key) return <Login />;
  const { page, args } = route;
  let body;
  if (page === 'docs') body = <Documents collection={args[0]} />;
  else if (page === 'query') body = <Query />;
  else if (page === 'sql') body = <Sql />;
  else if (page === 'postgres') body = <Postgres />;
  else if (page === 'mqtt') body = <Mqtt />;
  else if (page === 'jobs') body = <Jobs />;
  else if (page === 'changes') body = <Changes />;
  else if (page === 'server') body = <Server />;
  else body = <Collections />;
  const active = page === 'docs' ? 'collections' : page;
  return (
    <>
      <header>
        <strong class="brand">themisd</strong>
        <nav>
          {pages.map(([p, label]) => (
            <a href={'#/' + p} class={p === active ? 'active' : ''} data-nav={p}>
              {label}
            </a>
          ))}
        </nav>
        <Identity me={me} tenant={tenant} on_tenant={switch_tenant} key={tenant} />
        <button class="link" data-testid="logout" onClick={() => { if (!sign_out()) go('collections'); }}>
          Sign out
        </button>
      </header>
      <main key={tenant}>{body}</main>
    </>
  );
}

// a sign-in coming back from the provider is finished before the first
// render (the code leaves the address bar at once)
finish_sign_in()
  .catch(() => {}) // whatever happened, the page still renders
  .then(() => render(<App />, document.getElementById('app')));
