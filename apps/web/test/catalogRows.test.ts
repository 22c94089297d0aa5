import { describe, expect, it } from 'vitest';
import type { DocMeta } from '../src/storage/docStorage';
import { filterRows, rowsOf, sortRows } from '../src/ui/catalog/catalogRows';

function meta(
  id: string,
  s: Partial<NonNullable<DocMeta['summary']> & { name: string }>,
  at = 0,
): DocMeta {
  return {
    doc: `product:${id}`,
    ack: [],
    pending: [],
    updatedAt: at,
    summary: {
      name: 'x',
      sku: '',
      status: 'active',
      priceCents: 0,
      currency: 'EUR',
      stock: 0,
      tags: [],
      ...s,
    },
  };
}

const docs = new Map(
  [
    meta('a', { name: 'Oak table', sku: 'T-1', priceCents: 900, tags: ['wood'] }, 3),
    meta('b', { name: 'oak chair', sku: 'C-10', priceCents: 300, status: 'draft' }, 1),
    meta('c', { name: 'Brass lamp', sku: 'C-9', priceCents: 300, status: 'archived' }, 2),
    { doc: 'profile:u', ack: [], pending: [], summary: { displayName: 'U' } },
  ].map((m) => [m.doc, m as DocMeta]),
);

describe('catalog rows', () => {
  const rows = rowsOf(docs);
  it('has products only, searched by every word in name, SKU or tags, filtered by status', () => {
    expect(rows.map((r) => r.id).sort()).toEqual(['a', 'b', 'c']);
    expect(
      filterRows(rows, 'OAK', 'all')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(filterRows(rows, 'oak wood', 'all').map((r) => r.id)).toEqual(['a']);
    expect(filterRows(rows, 'c-9', 'all').map((r) => r.id)).toEqual(['c']);
    expect(
      filterRows(rows, '', 'current')
        .map((r) => r.id)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(filterRows(rows, '', 'archived').map((r) => r.id)).toEqual(['c']);
  });

  it('sorts by any column either way, ties by name; text ignores case and counts numbers', () => {
    const ids = (key: Parameters<typeof sortRows>[1]['key'], dir: 'asc' | 'desc' = 'asc') =>
      sortRows(rows, { key, dir }).map((r) => r.id);
    expect(ids('name')).toEqual(['c', 'b', 'a']);
    expect(ids('priceCents')).toEqual(['c', 'b', 'a']); // 300, 300 (Brass < oak), 900
    expect(ids('priceCents', 'desc')).toEqual(['a', 'c', 'b']); // ties stay by name, A to Z
    expect(ids('sku')).toEqual(['c', 'b', 'a']); // C-9 < C-10 < T-1
    expect(ids('updatedAt', 'desc')).toEqual(['a', 'c', 'b']);
    expect(ids('status')).toEqual(['a', 'c', 'b']); // active, archived, draft
  });
});
