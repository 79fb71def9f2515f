// A collection's validation schema (docs/collection-schemas.md): shown
// when asked (GET …/schema; 404 is "no schema"), edited as JSON with its
// level and message and saved with PUT …/schema (the server checks the
// rule and names what is wrong with it), or removed with DELETE (a second
// click confirms). Setting a rule does not check stored documents.
import { useState } from 'preact/hooks';
import { call, enc } from '../api.js';
import { Message } from './common.jsx';

const levels = ['strict', 'moderate', 'new', 'off'];
const example = '{\n  "type": "object",\n  "properties": {}\n}';

export function SchemaEditor({ collection }) {
  const path = '/api/v1/collections/' + enc(collection) + '/schema';
  const [schema, set_schema] = useState(null); // {rule, level, message} | {} (none)
  const [draft, set_draft] = useState(null); // {rule text, level, message} while editing
  const [msg, set_msg] = useState(['', 'error']);
  const [armed, set_armed] = useState(false);

  async function show() {
    set_msg(['', 'error']);
    try {
      const r = await call('GET', path);
      set_schema({ rule: r.data.rule, level: r.data.level, message: r.data.message });
    } catch (err) {
      if (err.status === 404) set_schema({});
      else set_msg([err.message, 'error']);
    }
  }

  function edit() {
    const s = schema || {};
    set_draft({
      rule: s.rule ? JSON.stringify(s.rule, null, 2) : example,
      level: s.level || 'strict', message: s.message || '',
    });
  }

  async function save() {
    let rule;
    try {
      rule = JSON.parse(draft.rule);
    } catch (err) {
      return set_msg(['The rule is not JSON: ' + err.message, 'error']);
    }
    const body = { rule, level: draft.level };
    if (draft.message.trim()) body.message = draft.message.trim();
    try {
      await call('PUT', path, { body });
      set_draft(null);
      set_msg(['Schema saved.', 'ok']);
      await show();
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  async function remove() {
    if (!armed) return set_armed(true);
    set_armed(false);
    try {
      await call('DELETE', path);
      set_msg(['Schema removed.', 'ok']);
      set_schema({});
    } catch (err) {
      set_msg([err.message, 'error']);
    }
  }

  const has = schema && schema.rule !== undefined;
  return (
    <div data-testid="schema-editor">
      <div class="row">
        <button onClick={show} data-testid="show-schema">Schema</button>
        {schema && !draft && <button onClick={edit} data-testid="edit-schema">{has ? 'Edit schema' : 'Set a schema'}</button>}
        {has && !draft && <button class="danger" onClick={remove} data-testid="remove-schema">{armed ? 'Confirm remove' : 'Remove schema'}</button>}
      </div>
      {schema && !draft && (has
        ? <pre class="json" data-testid="coll-schema">{JSON.stringify(schema, null, 2)}</pre>
        : <p class="dim" data-testid="coll-schema">No schema: documents are not validated.</p>)}
      {draft && (
        <div data-testid="schema-form">
          <label>Rule (JSON Schema)
            <textarea name="schema-rule" rows={8} spellcheck={false} value={draft.rule}
              onInput={(e) => set_draft({ ...draft, rule: e.target.value })} /></label>
          <div class="row">
            <label class="inline">level
              <select name="schema-level" value={draft.level} onChange={(e) => set_draft({ ...draft, level: e.target.value })}>
                {levels.map((l) => <option value={l}>{l}</option>)}
              </select></label>
            <label class="inline grow">message
              <input name="schema-message" value={draft.message} placeholder="shown when a document is refused"
                onInput={(e) => set_draft({ ...draft, message: e.target.value })} /></label>
          </div>
          <div class="row">
            <button onClick={save} data-testid="save-schema">Save schema</button>
            <button class="link" onClick={() => set_draft(null)}>Cancel</button>
          </div>
        </div>
      )}
      <Message text={msg[0]} kind={msg[1]} />
    </div>
  );
}
