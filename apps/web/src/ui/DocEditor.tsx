import { useEffect, useState } from 'react';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { BlameContext, blameSource } from './Blame';
import { Conflicts } from './Conflicts';
import { HistoryPanel } from './HistoryPanel';
import { Presence, usePresence, PresenceBoundary } from './Presence';
import { OrderForm } from './orders/OrderForm';
import { ProductForm } from './ProductForm';
import { ProfileForm } from './ProfileForm';
import { ServerMessages } from './ServerMessages';
import { useDocVersion, useVanilla } from './hooks';

/** Opens a document's session (local data first) and shows its editor. */
export function DocEditor(props: {
  workspace: Workspace;
  name: string;
  onSession: (s: DocSession | undefined) => void;
}) {
  const { workspace, name, onSession } = props;
  const [session, setSession] = useState<DocSession>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let live = true;
    workspace.acquire(name).then(
      (s) => {
        if (!live) return;
        setSession(s);
        onSession(s);
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
      onSession(undefined);
      workspace.release(name);
    };
  }, [workspace, name, onSession]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!session) return <p className="loading">Loading…</p>;
  return <Editor workspace={workspace} session={session} />;
}

function Editor({ workspace, session }: { workspace: Workspace; session: DocSession }) {
  useDocVersion(session.doc);
  const others = usePresence(session);
  const fatal = useVanilla(session.store, (s) => s.fatal);
  const storageError = useVanilla(session.store, (s) => s.storageError);
  const upgradeRequired = useVanilla(session.store, (s) => s.upgradeRequired);
  const [showHistory, setShowHistory] = useState(false);
  const [blame] = useState(() =>
    blameSource(
      workspace.api,
      session.name,
      session.kind,
      () => session.store.getState().version ?? 0,
      (u) => workspace.displayName(u),
    ),
  );
  const readOnly = session.readOnlyReason;
  const kind = session.docName.kind;
  const back =
    kind === 'product'
      ? { href: '#/', label: 'Catalog' }
      : kind === 'order'
        ? { href: '#/orders', label: 'Orders' }
        : { href: '#/people', label: 'People' };

  return (
    <div className={showHistory ? 'editor with-history' : 'editor'}>
      <article className="card">
        <div className="editor-head">
          <a href={back.href} className="back">
            ← {back.label}
          </a>
          <PresenceBoundary>
            <Presence others={others} />
          </PresenceBoundary>
          <button
            type="button"
            aria-expanded={showHistory}
            onClick={() => setShowHistory((v) => !v)}
          >
            {showHistory ? 'Hide history' : 'History'}
          </button>
        </div>
        {readOnly && (
          <p className="readonly-note" role="note">
            Read-only. {readOnly}
          </p>
        )}
        {upgradeRequired && (
          <div role="alert" className="banner error">
            <span>{upgradeRequired}</span>
            <button type="button" onClick={() => location.reload()}>
              Reload
            </button>
          </div>
        )}
        {fatal && (
          <p role="alert" className="banner error">
            {fatal}
          </p>
        )}
        {storageError && (
          <p role="alert" className="banner error">
            {storageError}
          </p>
        )}
        <ServerMessages session={session} />
        <Conflicts session={session} workspace={workspace} />
        <BlameContext.Provider value={blame}>
          {kind === 'product' ? (
            <ProductForm session={session} others={others} workspace={workspace} />
          ) : kind === 'order' ? (
            <OrderForm session={session} others={others} workspace={workspace} />
          ) : (
            <ProfileForm session={session} others={others} />
          )}
        </BlameContext.Provider>
      </article>
      {showHistory && <HistoryPanel session={session} workspace={workspace} />}
    </div>
  );
}
