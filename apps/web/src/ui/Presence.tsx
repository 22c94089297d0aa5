import { Component, useEffect, useState, type ReactNode } from 'react';
import type { DocSession, PresenceState } from '../sync/docSession';
import { FIELD_LABELS } from './format';

export function usePresence(session: DocSession): PresenceState[] {
  const [others, setOthers] = useState<PresenceState[]>(() => session.others());
  useEffect(() => {
    const awareness = session.provider?.awareness;
    if (!awareness) return;
    const onChange = () => setOthers(session.others());
    awareness.on('change', onChange);
    onChange();
    return () => awareness.off('change', onChange);
  }, [session]);
  return others;
}

/** Who else has this document open, and where they are. */
export function Presence({ others }: { others: readonly PresenceState[] }) {
  if (others.length === 0) return <p className="presence muted small">Only you are here</p>;
  return (
    <ul className="presence" aria-label="Also here">
      {others.map((o) => (
        <li key={o.user.id} className="presence-person">
          <span className="avatar" style={{ background: o.user.color }} aria-hidden="true">
            {o.user.name.slice(0, 1).toUpperCase()}
          </span>
          {o.user.name}
          {o.field ? ` · in ${FIELD_LABELS[o.field] ?? o.field}` : ' · viewing'}
        </li>
      ))}
    </ul>
  );
}

/**
 * Presence comes from other people's devices: should rendering it ever fail, only the presence
 * line disappears, never the editor around it.
 */
export class PresenceBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render(): ReactNode {
    return this.state.failed ? null : this.props.children;
  }
}
