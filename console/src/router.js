// Hash routes (#/query, #/docs/<collection>): the server serves one page,
// so any prefix and any reload land on the same index.html.
import { useEffect, useState } from 'preact/hooks';

export function parse_hash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [page, ...rest] = h.split('/');
  return { page: page || 'collections', args: rest.map(decodeURIComponent) };
}

export function use_route() {
  const [route, set_route] = useState(parse_hash());
  useEffect(() => {
    const f = () => set_route(parse_hash());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return route;
}

export function go(page, ...args) {
  location.hash = '#/' + [page, ...args.map(encodeURIComponent)].join('/');
}
