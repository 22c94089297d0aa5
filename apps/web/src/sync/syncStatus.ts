/** The one sync status line the person always sees (docs/architecture.md §4, Browser). Pure. */
export type Connection = 'offline' | 'connecting' | 'connected';

export interface StatusInput {
  readonly online: boolean;
  readonly connection: Connection;
  /** The server acknowledged this connection's state at least once. */
  readonly acked: boolean;
  readonly unsaved: number;
}

export type StatusText =
  'Offline' | 'Syncing' | 'All changes saved' | `${number} unsaved change${'' | 's'}`;

export function statusText(s: StatusInput): StatusText {
  if (s.unsaved > 0) {
    if (s.online && s.connection === 'connected') return 'Syncing';
    return s.unsaved === 1 ? '1 unsaved change' : `${s.unsaved} unsaved changes`;
  }
  if (!s.online) return 'Offline';
  if (s.connection === 'connected' && s.acked) return 'All changes saved';
  return 'Syncing';
}
