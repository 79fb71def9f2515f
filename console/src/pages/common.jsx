// Small pieces every page uses: a message line and a loader hook.
import { useCallback, useEffect, useState } from 'preact/hooks';

/** An error (or notice) line; `kind` is "error" or "ok". */
export function Message({ text, kind = 'error' }) {
  if (!text) return null;
  return <p class={'msg ' + kind} role={kind === 'error' ? 'alert' : 'status'} data-testid={'msg-' + kind}>{text}</p>;
}

/** Runs `load` now and whenever `deps` change; gives [data, error, reload]. */
export function use_load(load, deps) {
  const [data, set_data] = useState(null);
  const [error, set_error] = useState('');
  const reload = useCallback(() => {
    load().then((d) => { set_data(d); set_error(''); },
      (e) => set_error(e.message));
  }, deps);
  useEffect(reload, [reload]);
  return [data, error, reload];
}

/** Calls `f` every `ms` while the component is shown. */
export function use_interval(f, ms) {
  useEffect(() => {
    const t = setInterval(f, ms);
    return () => clearInterval(t);
  }, [f, ms]);
}
