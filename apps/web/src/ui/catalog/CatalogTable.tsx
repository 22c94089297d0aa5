/**
 * The catalog as a table for tens of thousands of products: only the rows in view are rendered
 * (TanStack Virtual, scrolling with the page), columns sort from their headers, and the grid is
 * driven from the keyboard — arrows, Page Up/Down, Home/End move; Shift extends the selection;
 * Space selects; Enter opens; Ctrl+A selects every row shown; Escape clears the selection.
 */
import {
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { formatPrice } from '../format';
import { navigate } from '../hooks';
import type { Row, Sort, SortKey } from './catalogRows';

/** Row heights in pixels: one line on wide screens, two on phones (catalog.css). */
const ROW_HEIGHT = 44;
const PHONE_ROW_HEIGHT = 60;
const PHONE = '(max-width: 760px)';
const PAGE_ROWS = 10;
const updatedFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
});

export const COLUMNS: readonly { key: SortKey; label: string; className: string }[] = [
  { key: 'name', label: 'Name', className: 'col-name' },
  { key: 'sku', label: 'SKU', className: 'col-sku' },
  { key: 'priceCents', label: 'Price', className: 'col-price num' },
  { key: 'stock', label: 'Stock', className: 'col-stock num' },
  { key: 'status', label: 'Status', className: 'col-status' },
  { key: 'tags', label: 'Tags', className: 'col-tags' },
  { key: 'updatedAt', label: 'Updated', className: 'col-updated' },
];

export interface CatalogTableProps {
  readonly rows: readonly Row[];
  readonly sort: Sort;
  readonly onSort: (key: SortKey) => void;
  readonly selected: ReadonlySet<string>;
  readonly onSelect: (next: ReadonlySet<string>) => void;
  readonly canSelect: boolean;
}

export function CatalogTable(props: CatalogTableProps) {
  const { rows, sort, selected, onSelect, canSelect } = props;
  const [active, setActive] = useState(0);
  const anchor = useRef(0);
  const [margin, setMargin] = useState(0);
  const phone = useMedia(PHONE);
  const rowHeight = phone ? PHONE_ROW_HEIGHT : ROW_HEIGHT;
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => rowHeight,
    overscan: 8,
    scrollMargin: margin,
  });
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);
  const current = Math.min(active, rows.length - 1);

  function selectRange(from: number, to: number, add: boolean) {
    const next = new Set(add ? selected : []);
    for (let i = Math.min(from, to); i <= Math.max(from, to); i++) next.add(rows[i]!.doc);
    onSelect(next);
  }

  function toggle(index: number) {
    const doc = rows[index]!.doc;
    const next = new Set(selected);
    if (next.has(doc)) next.delete(doc);
    else next.add(doc);
    anchor.current = index;
    onSelect(next);
  }

  function moveTo(index: number, extend: boolean) {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    setActive(target);
    virtualizer.scrollToIndex(target, { align: 'auto' });
    if (extend && canSelect) selectRange(anchor.current, target, false);
    else anchor.current = target;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (rows.length === 0 || e.target !== e.currentTarget) return;
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + PAGE_ROWS,
      PageUp: current - PAGE_ROWS,
      Home: 0,
      End: rows.length - 1,
    };
    if (e.key in moves) moveTo(moves[e.key]!, e.shiftKey);
    else if (e.key === ' ' && canSelect) toggle(current);
    else if (e.key === 'Enter') navigate(`/product/${rows[current]!.id}`);
    else if (e.key === 'a' && (e.ctrlKey || e.metaKey) && canSelect)
      onSelect(new Set(rows.map((r) => r.doc)));
    else if (e.key === 'Escape' && selected.size > 0) onSelect(new Set());
    else return;
    e.preventDefault();
  }

  function onCheck(e: MouseEvent<HTMLInputElement>, index: number) {
    setActive(index);
    if (e.shiftKey) selectRange(anchor.current, index, true);
    else toggle(index);
  }

  const allShown = rows.length > 0 && rows.every((r) => selected.has(r.doc));
  const items = virtualizer.getVirtualItems();
  return (
    <div
      className="catalog-table"
      role="grid"
      aria-label="Products"
      aria-rowcount={rows.length + 1}
      aria-multiselectable={canSelect || undefined}
      tabIndex={0}
      aria-activedescendant={rows[current] ? `row-${rows[current].id}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div className="catalog-head" role="row" aria-rowindex={1}>
        <span role="columnheader" className="col-select">
          {canSelect && (
            <input
              type="checkbox"
              aria-label={`Select all ${rows.length} shown`}
              checked={allShown}
              onChange={() => onSelect(new Set(allShown ? [] : rows.map((r) => r.doc)))}
            />
          )}
        </span>
        {COLUMNS.map((c) => (
          <span
            key={c.key}
            role="columnheader"
            className={c.className}
            aria-sort={
              sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined
            }
          >
            <button type="button" className="sort" onClick={() => props.onSort(c.key)}>
              {c.label}
              <span aria-hidden="true">
                {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
              </span>
            </button>
          </span>
        ))}
      </div>
      <div
        className="catalog-body"
        role="rowgroup"
        ref={(el) => {
          if (el && el.offsetTop !== margin) setMargin(el.offsetTop);
        }}
        style={{ height: virtualizer.getTotalSize() }}
      >
        {items.map((item) => {
          const r = rows[item.index]!;
          const isSelected = selected.has(r.doc);
          return (
            <div
              key={r.doc}
              id={`row-${r.id}`}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={canSelect ? isSelected : undefined}
              className={`catalog-row${item.index === current ? ' active' : ''}${isSelected ? ' selected' : ''}`}
              style={{
                height: rowHeight,
                transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)`,
              }}
            >
              <span role="gridcell" className="col-select">
                {canSelect && (
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label={`Select ${r.name}`}
                    checked={isSelected}
                    onClick={(e) => onCheck(e, item.index)}
                    onChange={() => undefined}
                  />
                )}
              </span>
              <span role="gridcell" className="col-name">
                <a href={`#/product/${r.id}`} tabIndex={-1}>
                  {r.name}
                </a>
                {r.unsaved > 0 && <span className="badge warn">not yet saved</span>}
              </span>
              <span role="gridcell" className="col-sku muted">
                {r.sku || '—'}
              </span>
              <span role="gridcell" className="col-price num">
                {formatPrice(r.priceCents, r.currency)}
              </span>
              <span role="gridcell" className="col-stock num">
                {r.stock}
              </span>
              <span role="gridcell" className="col-status">
                <span className={`pill pill-${r.status}`}>{r.status}</span>
              </span>
              <span role="gridcell" className="col-tags muted">
                {r.tags.join(', ')}
              </span>
              <span role="gridcell" className="col-updated muted">
                {r.updatedAt ? updatedFormat.format(r.updatedAt) : ''}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

function useMedia(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
  );
}
