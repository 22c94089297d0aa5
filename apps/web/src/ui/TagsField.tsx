import { useState } from 'react';
import { FieldHead, type FieldProps } from './fields';

/** Add-wins tag set: add with Enter or the button, remove with each tag's × button. */
export function TagsField(props: FieldProps & { tags: readonly string[] }) {
  const { session, field, readOnly } = props;
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const id = `f-${field}`;

  function add() {
    const tag = text.trim();
    if (!tag) return;
    const issues = session.edit({ [field]: { add: [tag] } });
    if (issues.length > 0) setError(issues.map((i) => i.message).join('; '));
    else {
      setError(undefined);
      setText('');
    }
  }

  return (
    <div className="field">
      <FieldHead id={id} label={props.label} field={field} others={props.others} />
      <ul className="tags" aria-label="Tag list">
        {props.tags.length === 0 && <li className="muted small">No tags</li>}
        {props.tags.map((tag) => (
          <li key={tag} className="tag">
            {tag}
            {!readOnly && (
              <button
                type="button"
                className="tag-remove"
                aria-label={`Remove tag ${tag}`}
                onClick={() => session.edit({ [field]: { remove: [tag] } })}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {!readOnly && (
        <div className="row">
          <input
            id={id}
            value={text}
            placeholder="Add a tag and press Enter"
            onFocus={() => session.setField(field)}
            onBlur={() => session.setField(null)}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          />
          <button type="button" onClick={add}>
            Add tag
          </button>
        </div>
      )}
      {readOnly && <input id={id} hidden readOnly value={props.tags.join(', ')} />}
      {error && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
