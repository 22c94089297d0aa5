import { useEffect, useState } from 'react';
import type { DocSession } from '../sync/docSession';
import type { Workspace } from '../sync/workspace';
import { CatalogPage } from './CatalogPage';
import { DocEditor } from './DocEditor';
import { PeoplePage } from './PeoplePage';
import { SyncStatus } from './SyncStatus';
import { useRoute, useVanilla } from './hooks';

export function Shell({ workspace, onSignOut }: { workspace: Workspace; onSignOut: () => void }) {
  const route = useRoute();
  const [active, setActive] = useState<DocSession>();
  const storageError = useVanilla(workspace.catalog, (s) => s.storageError);
  const user = workspace.user;
  const [page, id] = route;

  useEffect(() => {
    if (page !== 'product' && page !== 'profile') setActive(undefined);
  }, [page]);

  return (
    <div className="app">
      <header className="topbar">
        <a className="brand" href="#/">
          Concord
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={!page ? 'page' : undefined}>
            Catalog
          </a>
          <a href="#/people" aria-current={page === 'people' ? 'page' : undefined}>
            People
          </a>
          <a
            href={`#/profile/${user.id}`}
            aria-current={page === 'profile' && id === user.id ? 'page' : undefined}
          >
            My profile
          </a>
        </nav>
        <SyncStatus workspace={workspace} session={active} />
        <div className="me">
          <span title={`Signed in as ${user.name} (${user.role})`}>
            {user.name} <span className="badge">{user.role}</span>
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      {storageError && (
        <p role="alert" className="banner error">
          {storageError}
        </p>
      )}
      <main className="content">
        {(page === 'product' || page === 'profile') && id ? (
          <DocEditor
            key={`${page}:${id}`}
            workspace={workspace}
            name={`${page}:${id}`}
            onSession={setActive}
          />
        ) : page === 'people' ? (
          <PeoplePage workspace={workspace} />
        ) : (
          <CatalogPage workspace={workspace} />
        )}
      </main>
    </div>
  );
}
