import { useSyncExternalStore } from 'react';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { useVanilla } from './hooks';

/** The one always-visible sync status (`role="status"`): the open document's, else the catalog's. */
export function SyncStatus({ workspace, session }: { workspace: Workspace; session?: DocSession }) {
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
      : text === 'Offline' || text.includes('unsaved')
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
