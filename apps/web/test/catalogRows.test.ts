import { describe, expect, it } from 'vitest';
import type { DocMeta } from '../src/storage/docStorage';
import fc from 'fast-check';
import {
  filterRows,
  resortRows,
  rowsOf,
  sortRows,
  type Sort,
  type SortedRows,
  type SortKey,
} from '../src/ui/catalog/catalogRows';

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

describe('resortRows (a new list sorted from the last one)', () => {
  const names = ['Oak', 'oak', 'Brass lamp', 'Lamp', 'lamp 2', 'lamp 10', 'Zinc', ''];
  const arbMeta = fc
    .record({
      id: fc.integer({ min: 0, max: 40 }),
      name: fc.constantFrom(...names),
      priceCents: fc.integer({ min: 0, max: 5 }),
      stock: fc.integer({ min: -2, max: 2 }),
      tags: fc.subarray(['wood', 'metal', 'glass']),
      at: fc.integer({ min: 0, max: 3 }),
    })
    .map((m) => meta(`p${m.id}`, m, m.at));
  const arbSort = fc.record({
    key: fc.constantFrom<SortKey>(
      'name',
      'sku',
      'priceCents',
      'stock',
      'status',
      'tags',
      'updatedAt',
    ),
    dir: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
  });

  it('equals a full sort after any sequence of added, changed and removed products and sort changes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            put: fc.array(arbMeta, { maxLength: 12 }),
            remove: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
            sort: fc.option(arbSort, { nil: undefined }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (steps) => {
          const docs = new Map<string, DocMeta>();
          let sort: Sort = { key: 'name', dir: 'asc' };
          let last: SortedRows | undefined;
          for (const step of steps) {
            for (const m of step.put) docs.set(m.doc, m);
            for (const id of step.remove) docs.delete(`product:p${id}`);
            sort = step.sort ?? sort;
            const rows = rowsOf(docs);
            last = resortRows(last, rows, sort);
            expect(last.rows.map((r) => r.doc)).toEqual(sortRows(rows, sort).map((r) => r.doc));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
