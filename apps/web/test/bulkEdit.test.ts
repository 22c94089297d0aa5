import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applyPatch, HybridClock, materialize, productKind, type Product } from '@concord/shared';
import type { DocMeta } from '../src/storage/docStorage';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { bulkEdit } from '../src/sync/bulkEdit';

async function seeded(n: number): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  for (let i = 0; i < n; i++) {
    const doc = new Y.Doc();
    applyPatch(
      doc,
      productKind,
      { name: `P${i}`, priceCents: 100 * i, status: 'active' },
      { clock: new HybridClock({ replicaId: 'seed' }), writer: 'seed' },
    );
    await storage.appendUpdate(`product:p${i}`, Y.encodeStateAsUpdate(doc));
  }
  return storage;
}

async function product(storage: MemoryStorage, doc: string): Promise<Product> {
  const y = new Y.Doc();
  for (const u of await storage.loadUpdates(doc)) Y.applyUpdate(y, u);
  return materialize(y, productKind, doc.slice(8)) as Product;
}

describe('bulk edits on this device (BULK1)', () => {
  it('edits every selected product as a pending local edit with a fresh summary', async () => {
    const storage = await seeded(300);
    const docs = Array.from({ length: 300 }, (_, i) => `product:p${i}`);
    const reported: DocMeta[] = [];
    const deps = {
      storage,
      clock: new HybridClock({ replicaId: 'tab' }),
      writer: 'ana',
      onMetas: (m: DocMeta[]) => reported.push(...m),
    };
    const result = await bulkEdit(deps, [...docs, 'product:missing'], {
      kind: 'price',
      by: 'amount',
      value: -150,
    });
    // p0 (0) and p1 (100) would go below zero.
    expect(result.changed).toBe(298);
    expect(result.refused).toEqual([
      { doc: 'product:p0', reason: 'the price would be below zero' },
      { doc: 'product:p1', reason: 'the price would be below zero' },
      { doc: 'product:missing', reason: 'not on this device' },
    ]);
    expect(reported).toHaveLength(298);
    expect((await product(storage, 'product:p2')).priceCents).toBe(50);
    expect((await product(storage, 'product:p1')).priceCents).toBe(100);
    const meta = await storage.getMeta('product:p299');
    expect(meta?.pending).toHaveLength(1);
    expect(meta?.summary).toMatchObject({ priceCents: 29_750 });
    expect(meta?.summarized).toBe(meta?.stored);

    const again = await bulkEdit(deps, docs.slice(2), { kind: 'status', status: 'active' });
    expect(again).toEqual({ changed: 0, unchanged: 298, refused: [] });
  });
});
