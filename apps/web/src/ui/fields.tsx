/** Form fields bound to a document session. Values come from the Y.Doc; edits go through patches. */
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { minimalEdit, type FieldIssue, type Patch } from '@concord/shared';
import type { DocSession, PresenceState } from '../sync/docSession';
import { BlameButton } from './Blame';

export interface FieldProps {
  readonly session: DocSession;
  readonly field: string;
  readonly label: string;
  readonly readOnly: boolean;
  readonly others: readonly PresenceState[];
}

function useEdit(session: DocSession) {
  const [issues, setIssues] = useState<readonly FieldIssue[]>([]);
  return {
    issues,
    apply(patch: Patch) {
      const found = session.edit(patch);
      setIssues(found);
      return found.length === 0;
    },
    setIssues,
  };
}

/** A field's label and who else is in this field right now. */
export function FieldHead(props: {
  id: string;
  label: string;
  field: string;
  others: readonly PresenceState[];
}) {
  const here = props.others.filter((o) => o.field === props.field);
  return (
    <div className="field-head">
      <label htmlFor={props.id}>{props.label}</label>
      <BlameButton field={props.field} label={props.label} />
      {here.map((o) => (
        <span key={o.user.id} className="presence-chip" style={{ borderColor: o.user.color }}>
          {o.user.name} is here
        </span>
      ))}
    </div>
  );
}

function FieldShell(props: {
  id: string;
  label: string;
  field: string;
  others: readonly PresenceState[];
  issues: readonly FieldIssue[];
  children: ReactNode;
  hint?: string;
}) {
  return (
    <div className="field">
      <FieldHead id={props.id} label={props.label} field={props.field} others={props.others} />
      {props.children}
      {props.hint && <p className="muted small">{props.hint}</p>}
      {props.issues.length > 0 && (
        <p className="error small" id={`${props.id}-error`} role="alert">
          {props.issues.map((i) => i.message).join('; ')}
        </p>
      )}
    </div>
  );
}

/** A scalar (LWW register) field. While focused it shows what the person types. */
export function RegisterInput(
  props: FieldProps & {
    value: string;
    type?: string;
    parse?: (text: string) => { ok: true; value: string | number } | { ok: false; message: string };
    inputMode?: 'decimal' | 'email' | 'url' | 'text';
  },
) {
  const { session, field } = props;
  const id = `f-${field}`;
  const [draft, setDraft] = useState<string>();
  const edit = useEdit(session);
  return (
    <FieldShell
      id={id}
      label={props.label}
      field={field}
      others={props.others}
      issues={edit.issues}
    >
      <input
        id={id}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        value={draft ?? props.value}
        readOnly={props.readOnly}
        aria-invalid={edit.issues.length > 0}
        onFocus={() => session.setField(field)}
        onBlur={() => {
          setDraft(undefined);
          session.setField(null);
        }}
        onChange={(e) => {
          const text = e.target.value;
          setDraft(text);
          if (props.readOnly) return;
          const parsed = props.parse ? props.parse(text) : { ok: true as const, value: text };
          if (!parsed.ok) {
            edit.setIssues([{ field, code: 'invalid', message: parsed.message }]);
            return;
          }
          edit.apply({ [field]: parsed.value });
        }}
      />
    </FieldShell>
  );
}

export function RegisterSelect(
  props: FieldProps & { value: string; options: readonly { value: string; label: string }[] },
) {
  const { session, field } = props;
  const id = `f-${field}`;
  const edit = useEdit(session);
  return (
    <FieldShell
      id={id}
      label={props.label}
      field={field}
      others={props.others}
      issues={edit.issues}
    >
      <select
        id={id}
        value={props.value}
        disabled={props.readOnly}
        onFocus={() => session.setField(field)}
        onBlur={() => session.setField(null)}
        onChange={(e) => edit.apply({ [field]: e.target.value })}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

/** Collaborative text: every change is sent as the minimal edit, the caret survives remote edits. */
export function CollabText(props: FieldProps & { value: string; rows?: number }) {
  const { session, field, value } = props;
  const id = `f-${field}`;
  const ref = useRef<HTMLTextAreaElement>(null);
  const shown = useRef(value);
  // Only the first value is handed to React: later values are applied by the layout effect, which
  // keeps the caret in place (a changing defaultValue would move it).
  const initial = useRef(value);
  const edit = useEdit(session);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || el.value === value) {
      shown.current = value;
      return;
    }
    const before = el.value;
    const focused = document.activeElement === el;
    const start = el.selectionStart;
    const end = el.selectionEnd;
    el.value = value;
    if (focused) {
      const e = minimalEdit(before, value);
      const shift = (pos: number) =>
        pos <= e.index ? pos : Math.max(e.index, pos - e.deleteCount) + e.insert.length;
      el.setSelectionRange(shift(start), shift(end));
    }
    shown.current = value;
  }, [value]);

  return (
    <FieldShell
      id={id}
      label={props.label}
      field={field}
      others={props.others}
      issues={edit.issues}
    >
      <textarea
        id={id}
        ref={ref}
        rows={props.rows ?? 5}
        defaultValue={initial.current}
        readOnly={props.readOnly}
        onFocus={() => session.setField(field)}
        onBlur={() => session.setField(null)}
        onChange={(e) => {
          if (props.readOnly) return;
          shown.current = e.target.value;
          edit.apply({ [field]: e.target.value });
        }}
      />
    </FieldShell>
  );
}
