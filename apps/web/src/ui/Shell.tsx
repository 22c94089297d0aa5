import { useEffect, useRef, useState } from 'react';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { CatalogPage } from './catalog/CatalogPage';
import { DocEditor } from './DocEditor';
import { OrdersPage } from './orders/OrdersPage';
import { PeoplePage } from './PeoplePage';
import { StoragePanel } from './StoragePanel';
import { SyncStatus } from './SyncStatus';
import { UsersPage } from './UsersPage';
import { useRoute, useVanilla } from './hooks';

export function Shell({
  workspace,
  demo,
  signInNeeded,
  onSignInAgain,
  onSignOut,
}: {
  workspace: Workspace;
  /** Signed in through the demo sign-in: say so on every screen. */
  demo: boolean;
  /** The session ended: edits wait on this device until the person signs in again. */
  signInNeeded: boolean;
  onSignInAgain: () => void;
  onSignOut: () => void;
}) {
  const route = useRoute();
  const [active, setActive] = useState<DocSession>();
  const storageError = useVanilla(workspace.catalog, (s) => s.storageError);
  const user = workspace.user;
  const [page, id] = route;
  // Re-rendered with the catalog, so the count of unsent edits stays current.
  useVanilla(workspace.catalog, (s) => s.docs);
  const unsaved = workspace.unsavedTotal();
  const signInText =
    unsaved > 0
      ? `Sign in again to save ${unsaved} ${unsaved === 1 ? 'change' : 'changes'}`
      : 'Signed out: sign in again';

  // The top bar stays in view; sticky parts below it (the table's header) sit under it.
  const topbar = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = topbar.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() =>
      document.documentElement.style.setProperty('--topbar-height', `${el.offsetHeight}px`),
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (page !== 'product' && page !== 'profile' && page !== 'order') setActive(undefined);
  }, [page]);

  return (
    <div className="app">
      <header className="topbar" ref={topbar}>
        <a className="brand" href="#/">
          Concord
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={!page ? 'page' : undefined}>
            Catalog
          </a>
          <a
            href="#/orders"
            aria-current={page === 'orders' || page === 'order' ? 'page' : undefined}
          >
            Orders
          </a>
          <a href="#/people" aria-current={page === 'people' ? 'page' : undefined}>
            People
          </a>
          {user.role === 'admin' && (
            <a href="#/users" aria-current={page === 'users' ? 'page' : undefined}>
              Users
            </a>
          )}
          <a
            href={`#/profile/${user.id}`}
            aria-current={page === 'profile' && id === user.id ? 'page' : undefined}
          >
            My profile
          </a>
        </nav>
        <SyncStatus
          workspace={workspace}
          session={active}
          override={signInNeeded ? signInText : undefined}
        />
        <div className="me">
          {demo && <span className="badge warn">Demo mode</span>}
          <span title={`Signed in as ${user.name} (${user.role})`}>
            {user.name} <span className="badge">{user.role}</span>
          </span>
          {workspace.health && <StoragePanel workspace={workspace} health={workspace.health} />}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {signInNeeded && (
        <div role="alert" className="banner error">
          Your session has ended. {signInText}: they are kept on this device until then.{' '}
          <button type="button" className="primary" onClick={onSignInAgain}>
            Sign in again
          </button>
        </div>
      )}
      {storageError && (
        <p role="alert" className="banner error">
          {storageError}
        </p>
      )}
      <main className="content">
        {(page === 'product' || page === 'profile' || page === 'order') && id ? (
          <DocEditor
            key={`${page}:${id}`}
            workspace={workspace}
            name={`${page}:${id}`}
            onSession={setActive}
          />
        ) : page === 'people' ? (
          <PeoplePage workspace={workspace} />
        ) : page === 'orders' ? (
          <OrdersPage workspace={workspace} />
        ) : page === 'users' && user.role === 'admin' ? (
          <UsersPage workspace={workspace} />
        ) : (
          <CatalogPage workspace={workspace} />
        )}
      </main>
    </div>
  );
}
