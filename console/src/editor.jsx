// CodeMirror 6 as a Preact component. The view is kept on its container
// (`.cm-host`'s `cm_view`) so the browser test can set and read the text
// the way a paste would, without fighting auto-closed brackets.
//
// The editor lives in a shadow root: there CodeMirror puts its generated
// styles into a constructed stylesheet (adoptedStyleSheets) instead of a
// <style> element, which the console's CSP (style-src 'self', no
// 'unsafe-inline') would refuse.
import { useEffect, useRef } from 'preact/hooks';
import { EditorView, basicSetup } from 'codemirror';
import { json } from '@codemirror/lang-json';
import { sql, SQLDialect, PostgreSQL } from '@codemirror/lang-sql';

/** AQL's keywords on CodeMirror's SQL tokenizer: comments, strings,
 *  numbers and @bind parameters are lexed the same way. */
const aql_dialect = SQLDialect.define({
  keywords:
    'for in filter return let collect into with count sort limit asc desc ' +
    'insert update replace remove upsert options distinct aggregate keep ' +
    'graph outbound inbound any shortest_path and or not like true false null',
  operatorChars: '*+-%<>!=&|~^/.',
  specialVar: '@',
});

const languages = {
  aql: () => sql({ dialect: aql_dialect }),
  json: () => json(),
  sql: () => sql({ dialect: PostgreSQL }),
};

/** The page's colours (CSS custom properties cross the shadow boundary). */
const theme = EditorView.theme({
  '&': { color: 'var(--fg)', backgroundColor: 'var(--panel)', maxHeight: '50vh' },
  '.cm-scroller': { fontFamily: 'ui-monospace, monospace', fontSize: '13px' },
  '.cm-gutters': { backgroundColor: 'var(--bg)', color: 'var(--dim)', borderRightColor: 'var(--line)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'transparent' },
  '&.cm-focused .cm-cursor': { borderLeftColor: 'var(--fg)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--line)' },
});

export function Editor({ value, onChange, lang = 'json', label, testid }) {
  const host = useRef(null);
  const view = useRef(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    const shadow = host.current.shadowRoot || host.current.attachShadow({ mode: 'open' });
    const v = new EditorView({
      doc: value || '',
      root: shadow,
      parent: shadow,
      extensions: [
        basicSetup,
        theme,
        languages[lang](),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': label || lang }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && changed.current)
            changed.current(u.state.doc.toString());
        }),
      ],
    });
    view.current = v;
    host.current.cm_view = v;
    return () => v.destroy();
  }, [lang]);

  // a new value from outside (a document loaded) replaces the text
  useEffect(() => {
    const v = view.current;
    if (v && value !== undefined && value !== v.state.doc.toString())
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  return <div class="cm-host" data-testid={testid} ref={host} />;
}
