import { useSyncExternalStore } from 'react';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { useVanilla } from './hooks';

/** The one always-visible sync status (`role="status"`): the open document's, else the catalog's. */
export function SyncStatus({
  workspace,
  session,
  override,
}: {
  workspace: Workspace;
  session?: DocSession;
  /** Said instead of the sync state (the session ended: "Sign in again to save 3 changes"). */
  override?: string;
}) {
  if (override) return <StatusLine text={override} />;
  return session ? <SessionStatus session={session} /> : <CatalogStatus workspace={workspace} />;
}

function SessionStatus({ session }: { session: DocSession }) {
  const status = useVanilla(session.store, (s) => s.status);
  return <StatusLine text={status} />;
}

function CatalogStatus({ workspace }: { workspace: Workspace }) {
  useVanilla(workspace.catalog, (s) => s);
  const online = useSyncExternalStore(
    (cb) => workspace.online.subscribe(cb),
    () => workspace.online.isOnline(),
  );
  void online;
  return <StatusLine text={workspace.catalogStatus()} />;
}

function StatusLine({ text }: { text: string }) {
  const tone =
    text === 'All changes saved'
      ? 'ok'
      : text === 'Offline' || text.includes('unsaved') || text.startsWith('Sign')
        ? 'warn'
        : 'busy';
  return (
    <div className={`sync sync-${tone}`}>
      <span className="dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        {text}
      </span>
    </div>
  );
}
