import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  applyPatch,
  bulkPatch,
  changedPrice,
  materialize,
  productKind,
  type BulkChange,
  type Product,
} from '../src/index.js';

function product(writer: string, patch: Parameters<typeof applyPatch>[2]): Y.Doc {
  const doc = new Y.Doc();
  applyPatch(doc, productKind, patch, {
    clock: new HybridClock({ replicaId: writer }),
    writer,
  });
  return doc;
}

function apply(doc: Y.Doc, change: BulkChange, writer = 'bulk'): ReturnType<typeof bulkPatch> {
  const now = materialize(doc, productKind, 'x') as Product;
  const result = bulkPatch(productKind, now, change);
  if (result.ok && result.patch)
    applyPatch(doc, productKind, result.patch, {
      clock: new HybridClock({ replicaId: writer }),
      writer,
    });
  return result;
}

const read = (doc: Y.Doc) => materialize(doc, productKind, 'x') as Product;

describe('bulk edits of products (BULK1)', () => {
  it('changes prices by an amount or a percentage, to the whole cent', () => {
    expect(changedPrice(1000, 'amount', 250)).toBe(1250);
    expect(changedPrice(1000, 'amount', -1000)).toBe(0);
    expect(changedPrice(999, 'percent', 10)).toBe(1099); // 1098.9
    expect(changedPrice(1999, 'percent', -15)).toBe(1699); // 1699.15
    const doc = product('a', { name: 'Lamp', priceCents: 2000 });
    expect(apply(doc, { kind: 'price', by: 'percent', value: 25 })).toEqual({
      ok: true,
      patch: { priceCents: 2500 },
    });
    expect(read(doc).priceCents).toBe(2500);
  });

  it('refuses, for that product alone, a price below zero or a tag beyond the limit', () => {
    const doc = product('a', { name: 'Lamp', priceCents: 500 });
    expect(apply(doc, { kind: 'price', by: 'amount', value: -501 })).toEqual({
      ok: false,
      reason: 'the price would be below zero',
    });
    expect(read(doc).priceCents).toBe(500);
    const full = product('a', {
      name: 'Many tags',
      tags: { add: Array.from({ length: 50 }, (_, i) => `t${i}`) },
    });
    expect(apply(full, { kind: 'addTag', tag: 'one-more' })).toMatchObject({ ok: false });
    expect(read(full).tags).toHaveLength(50);
    expect(apply(product('a', {}), { kind: 'addTag', tag: '!bad' })).toMatchObject({ ok: false });
  });

  it('writes nothing when a product already is as asked', () => {
    const doc = product('a', { status: 'active', tags: { add: ['sale'] } });
    expect(apply(doc, { kind: 'status', status: 'active' })).toEqual({
      ok: true,
      patch: undefined,
    });
    expect(apply(doc, { kind: 'addTag', tag: 'sale' })).toEqual({ ok: true, patch: undefined });
    expect(apply(doc, { kind: 'removeTag', tag: 'other' })).toEqual({ ok: true, patch: undefined });
    expect(apply(doc, { kind: 'removeTag', tag: 'sale' })).toMatchObject({ ok: true });
    expect(read(doc).tags).toEqual([]);
  });

  it('merges like any edit: a bulk tag removal does not undo a concurrent add elsewhere', () => {
    const a = product('a', { name: 'Lamp', tags: { add: ['sale'] } });
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    apply(a, { kind: 'removeTag', tag: 'sale' }, 'bulk-a');
    applyPatch(
      b,
      productKind,
      { tags: { add: ['sale'] } },
      {
        clock: new HybridClock({ replicaId: 'b' }),
        writer: 'b',
      },
    );
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(read(a)).toEqual(read(b));
    expect(read(a).tags).toEqual(['sale']);
  });
});
