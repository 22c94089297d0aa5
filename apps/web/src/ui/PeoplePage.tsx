import type { Workspace } from '../sync/workspace';
import { useVanilla } from './hooks';

export function PeoplePage({ workspace }: { workspace: Workspace }) {
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const people = [...docs.values()]
    .filter((m) => m.doc.startsWith('profile:'))
    .map((m) => ({
      id: m.doc.slice(8),
      name: m.summary && 'displayName' in m.summary ? m.summary.displayName : m.doc.slice(8),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      {people.length === 0 ? (
        <p className="empty">No profiles yet.</p>
      ) : (
        <ul className="catalog" aria-label="Profiles">
          {people.map((p) => (
            <li key={p.id} className="product-row">
              <a href={`#/profile/${p.id}`} className="product-link">
                <span className="product-name">{p.name}</span>
                <span className="muted">{p.id}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
