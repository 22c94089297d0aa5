import { useState } from 'react';
import { formatHlc, registerState } from '@concord/shared';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { FIELD_LABELS, formatFieldValue } from './format';

/** "Your change to X was overwritten by Y with Z" for the person's own superseded scalar writes. */
export function Conflicts({ session, workspace }: { session: DocSession; workspace: Workspace }) {
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const me = workspace.user.id;
  const notices = [];
  for (const [field, spec] of Object.entries(session.kind.fields)) {
    if (spec.kind !== 'register') continue;
    const { current, superseded } = registerState(session.doc, session.kind, field);
    if (!current || current.writer === me) continue;
    const mine = superseded.find((w) => w.writer === me);
    if (!mine) continue;
    const key = `${field}:${formatHlc(mine.stamp)}`;
    if (dismissed.has(key)) continue;
    notices.push({ field, key, mine, current });
  }
  if (notices.length === 0) return null;
  return (
    <div className="conflicts" aria-label="Conflicts">
      {notices.map(({ field, key, mine, current }) => {
        const label = FIELD_LABELS[field] ?? field;
        return (
          <div key={key} className="banner conflict" role="alert">
            <span>
              Your change to {label} ({formatFieldValue(field, mine.value)}) was overwritten by{' '}
              {current.writer} with {formatFieldValue(field, current.value)}.
            </span>
            {!session.readOnlyReason && (
              <button type="button" onClick={() => session.edit({ [field]: mine.value })}>
                Restore my {label}
              </button>
            )}
            <button type="button" onClick={() => setDismissed(new Set([...dismissed, key]))}>
              Keep theirs
            </button>
          </div>
        );
      })}
    </div>
  );
}
