import { useState } from 'react';
import { formatHlc, lostWritesOf } from '@concord/shared';
import { useReadOnly } from './hooks';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { FIELD_LABELS, formatFieldValue } from './format';

/** "Your change to X was overwritten by Y with Z" for the person's own superseded scalar writes. */
export function Conflicts({ session, workspace }: { session: DocSession; workspace: Workspace }) {
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const me = workspace.user.id;
  const readOnly = useReadOnly(session);
  const notices = [];
  for (const { field, mine, current } of lostWritesOf(session.doc, session.kind, me)) {
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
              {workspace.displayName(current.writer)} with {formatFieldValue(field, current.value)}.
            </span>
            {!readOnly && (
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
