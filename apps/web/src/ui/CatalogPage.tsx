import { useDeferredValue, useMemo, useState } from 'react';
import type { DocSummary } from '../storage/docStorage';
import type { Workspace } from '../sync/workspace';
import { formatPrice } from './format';
import { navigate, useVanilla } from './hooks';

const PAGE = 200;

interface Row extends DocSummary {
  readonly id: string;
  readonly unsaved: number;
}

export function CatalogPage({ workspace }: { workspace: Workspace }) {
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const lastError = useVanilla(workspace.catalog, (s) => s.lastError);
  const progress = useVanilla(workspace.catalog, (s) => s.progress);
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState('current');
  const [limit, setLimit] = useState(PAGE);
  const [error, setError] = useState<string>();
  const deferredQuery = useDeferredValue(query);
  const canEdit = workspace.user.role !== 'viewer';

  const rows = useMemo(() => {
    const out: Row[] = [];
    for (const meta of docs.values()) {
      if (!meta.doc.startsWith('product:') || !meta.summary || !('sku' in meta.summary)) continue;
      out.push({ ...meta.summary, id: meta.doc.slice(8), unsaved: meta.pending.length });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }, [docs]);

  const visible = useMemo(() => {
    const q = deferredQuery.trim().toLowerCase();
    return rows.filter(
      (r) =>
        (status === 'all' ||
          (status === 'current' ? r.status !== 'archived' : r.status === status)) &&
        (!q ||
          r.name.toLowerCase().includes(q) ||
          r.sku.toLowerCase().includes(q) ||
          r.tags.some((t) => t.toLowerCase().includes(q))),
    );
  }, [rows, deferredQuery, status]);

  async function create() {
    setError(undefined);
    try {
      const id = await workspace.createProduct();
      navigate(`/product/${id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  async function archive(id: string) {
    const name = `product:${id}`;
    const session = await workspace.acquire(name);
    try {
      session.edit({ status: 'archived' });
      await session.flushLocal();
    } finally {
      workspace.release(name);
    }
  }

  return (
    <section aria-labelledby="catalog-title">
      <div className="toolbar">
        <h1 id="catalog-title">Catalog</h1>
        <input
          type="search"
          aria-label="Search products"
          placeholder="Search name, SKU or tag"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <select
          aria-label="Filter by status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
        >
          <option value="current">Draft and active</option>
          <option value="all">All statuses</option>
          <option value="draft">Draft</option>
          <option value="active">Active</option>
          <option value="archived">Archived</option>
        </select>
        {canEdit && (
          <button type="button" className="primary" onClick={() => void create()}>
            New product
          </button>
        )}
      </div>
      {!canEdit && (
        <p className="readonly-note">Read-only: viewers can browse but not change the catalog.</p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {progress && progress.kind === 'product' && (
        <div className="catch-up" aria-live="polite">
          <label htmlFor="catalog-progress">
            Downloading catalog — {progress.done.toLocaleString()} of{' '}
            {progress.total.toLocaleString()}
          </label>
          <progress id="catalog-progress" max={progress.total} value={progress.done} />
        </div>
      )}
      {lastError && <p className="muted small">Last sync attempt failed: {lastError}</p>}
      <p className="muted small">
        {visible.length} of {rows.length} products
      </p>
      {visible.length === 0 ? (
        <p className="empty">
          {rows.length === 0 ? 'No products yet.' : 'No products match your search.'}
        </p>
      ) : (
        <ul className="catalog" aria-label="Products">
          {visible.slice(0, limit).map((r) => (
            <li key={r.id} className="product-row">
              <a href={`#/product/${r.id}`} className="product-link">
                <span className="product-name">{r.name}</span>
                <span className="muted">{r.sku || 'no SKU'}</span>
              </a>
              <span className={`pill pill-${r.status}`}>{r.status}</span>
              <span className="num">{formatPrice(r.priceCents, r.currency)}</span>
              <span className="num" title="Stock">
                {r.stock} in stock
              </span>
              {r.unsaved > 0 && <span className="badge warn">not yet saved</span>}
              {canEdit && r.status !== 'archived' && (
                <button type="button" onClick={() => void archive(r.id)}>
                  Archive<span className="visually-hidden"> {r.name}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {visible.length > limit && (
        <button type="button" onClick={() => setLimit((l) => l + PAGE)}>
          Show more
        </button>
      )}
    </section>
  );
}
