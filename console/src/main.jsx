// The console's shell: sign-in, navigation, and the page of the route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { current_key, on_key_change, set_key } from './api.js';
import { go, use_route } from './router.js';
import { Login } from './pages/login.jsx';
import { Collections } from './pages/collections.jsx';
import { Documents } from './pages/documents.jsx';
import { Query } from './pages/query.jsx';
import { Jobs } from './pages/jobs.jsx';
import { Changes } from './pages/changes.jsx';
import { Server } from './pages/server.jsx';
import './style.css';

const pages = [
  ['collections', 'Collections'],
  ['query', 'Query'],
  ['jobs', 'Jobs'],
  ['changes', 'Changes'],
  ['server', 'Server'],
];

function App() {
  const route = use_route();
  const [key, set] = useState(current_key());
  useEffect(() => on_key_change(set), []);

  if (!key) return <Login />;
  const { page, args } = route;
  let body;
  if (page === 'docs') body = <Documents collection={args[0]} />;
  else if (page === 'query') body = <Query />;
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
        <button class="link" data-testid="logout" onClick={() => { set_key(''); go('collections'); }}>
          Sign out
        </button>
      </header>
      <main>{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app'));
