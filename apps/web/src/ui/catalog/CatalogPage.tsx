/**
 * The catalog screen: search and status filter, the sortable, virtualized product table, the
 * first-sync progress, and bulk edits of the selected products.
 */
import { useDeferredValue, useMemo, useRef, useState } from 'react';
import type { Workspace } from '../../sync/workspace';
import { navigate, useVanilla } from '../hooks';
import { BulkBar } from './BulkBar';
import { CatalogTable, COLUMNS } from './CatalogTable';
import './catalog.css';
import {
  filterRows,
  resortRows,
  rowsOf,
  type Sort,
  type SortedRows,
  type SortKey,
  type StatusFilter,
} from './catalogRows';

export function CatalogPage({ workspace }: { workspace: Workspace }) {
  const docs = useVanilla(workspace.catalog, (s) => s.docs);
  const lastError = useVanilla(workspace.catalog, (s) => s.lastError);
  const progress = useVanilla(workspace.catalog, (s) => s.progress);
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<StatusFilter>('current');
  const [sort, setSort] = useState<Sort>({ key: 'name', dir: 'asc' });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string>();
  const deferredQuery = useDeferredValue(query);
  const canEdit = workspace.user.role !== 'viewer';

  // A new list (a first sync stores a batch every few hundred ms) re-sorts 10,000 rows: done as a
  // deferred render that a keystroke interrupts, so typing never waits for it.
  const deferredDocs = useDeferredValue(docs);
  const rows = useMemo(() => rowsOf(deferredDocs), [deferredDocs]);
  // Each new list re-sorts only the rows that changed (resortRows), from the last sorted one.
  const lastSorted = useRef<SortedRows>(undefined);
  const sorted = useMemo(() => {
    lastSorted.current = resortRows(lastSorted.current, rows, sort);
    return lastSorted.current.rows;
  }, [rows, sort]);
  const visible = useMemo(
    () => filterRows(sorted, deferredQuery, status),
    [sorted, deferredQuery, status],
  );

  function onSort(key: SortKey) {
    setSort((s) => ({ key, dir: s.key === key && s.dir === 'asc' ? 'desc' : 'asc' }));
  }

  async function create() {
    setError(undefined);
    try {
      const id = await workspace.createProduct();
      navigate(`/product/${id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
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
          onChange={(e) => setStatus(e.target.value as StatusFilter)}
        >
          <option value="current">Draft and active</option>
          <option value="all">All statuses</option>
          <option value="draft">Draft</option>
          <option value="active">Active</option>
          <option value="archived">Archived</option>
        </select>
        {/* Phones show name, price, stock and status: every sort is offered here instead. */}
        <select
          aria-label="Sort by"
          className="phone-sort"
          value={`${sort.key}:${sort.dir}`}
          onChange={(e) => {
            const [key, dir] = e.target.value.split(':') as [SortKey, Sort['dir']];
            setSort({ key, dir });
          }}
        >
          {COLUMNS.flatMap(({ key, label }) => [
            <option key={`${key}:asc`} value={`${key}:asc`}>
              {label} ↑
            </option>,
            <option key={`${key}:desc`} value={`${key}:desc`}>
              {label} ↓
            </option>,
          ])}
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
        {visible.length.toLocaleString('en')} of {rows.length.toLocaleString('en')} products
      </p>
      {visible.length === 0 ? (
        <p className="empty">
          {rows.length === 0 ? 'No products yet.' : 'No products match your search.'}
        </p>
      ) : (
        <CatalogTable
          rows={visible}
          sort={sort}
          onSort={onSort}
          selected={selected}
          onSelect={setSelected}
          canSelect={canEdit}
        />
      )}
      {canEdit && selected.size > 0 && (
        <BulkBar workspace={workspace} selected={selected} onClear={() => setSelected(new Set())} />
      )}
    </section>
  );
}
