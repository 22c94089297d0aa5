import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { applyPatch, HybridClock, productKind } from '@concord/shared';
import type { ApiClient } from '../src/api/client';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { catchUp, CATCH_UP_BATCH } from '../src/sync/catchUp';

function fakeServer(count: number) {
  const docs = new Map<string, { doc: Y.Doc; version: number }>();
  const clock = new HybridClock({ replicaId: 'server' });
  for (let i = 0; i < count; i++) {
    const doc = new Y.Doc();
    applyPatch(
      doc,
      productKind,
      { name: `Product ${i}`, stock: { delta: i } },
      { clock, writer: 'seed' },
    );
    docs.set(`product:p${i}`, { doc, version: 1 });
  }
  const requests: number[] = [];
  const api = {
    async listDocs() {
      return [...docs].map(([doc, d]) => ({ doc, version: d.version, updatedAt: 0 }));
    },
    async sync(req: Record<string, string>) {
      requests.push(Object.keys(req).length);
      const out: Record<string, { update: string; version: number }> = {};
      for (const [name, sv] of Object.entries(req)) {
        const d = docs.get(name)!;
        const update = Y.encodeStateAsUpdate(d.doc, sv ? fromBase64(sv) : undefined);
        out[name] = { update: toBase64(update), version: d.version };
      }
      return { docs: out };
    },
  } as unknown as ApiClient;
  return { api, docs, requests };
}

describe('catalog catch-up', () => {
  it('fetches 2,000 products in batches, then only what changed', async () => {
    const server = fakeServer(2000);
    const storage = new MemoryStorage();
    const first = await catchUp(server.api, storage, 'product');
    expect(first.changed).toHaveLength(2000);
    expect(server.requests.every((n) => n <= CATCH_UP_BATCH)).toBe(true);
    expect(server.requests).toHaveLength(2000 / CATCH_UP_BATCH);
    const meta = await storage.getMeta('product:p1999');
    expect(meta?.summary).toMatchObject({ name: 'Product 1999', stock: 1999 });

    server.requests.length = 0;
    const second = await catchUp(server.api, storage, 'product');
    expect(second.changed).toEqual([]);
    expect(server.requests).toEqual([]);

    const p5 = server.docs.get('product:p5')!;
    applyPatch(
      p5.doc,
      productKind,
      { name: 'Renamed' },
      { clock: new HybridClock({ replicaId: 's2' }), writer: 'x' },
    );
    p5.version = 2;
    const third = await catchUp(server.api, storage, 'product');
    expect(third.changed).toEqual(['product:p5']);
    expect((await storage.getMeta('product:p5'))?.summary).toMatchObject({ name: 'Renamed' });
  });

  it('reports metadata a batch at a time with progress, and resumes where an interrupted run stopped', async () => {
    const B = CATCH_UP_BATCH;
    const total = 2 * B + 50;
    const server = fakeServer(total);
    const storage = new MemoryStorage();
    const sync = server.api.sync.bind(server.api);
    let calls = 0;
    server.api.sync = async (req) => {
      if (++calls === 2) throw new Error('network dropped');
      return sync(req);
    };
    const batches: number[] = [];
    const progress: string[] = [];
    await expect(
      catchUp(
        server.api,
        storage,
        'product',
        (metas) => batches.push(metas.length),
        (p) => progress.push(`${p.done}/${p.total}`),
      ),
    ).rejects.toThrow('network dropped');
    expect(batches).toEqual([B]);
    expect(progress).toEqual([`0/${total}`, `${B}/${total}`]);
    // The next run asks only for what is still behind.
    progress.length = 0;
    batches.length = 0;
    const resumed = await catchUp(
      server.api,
      storage,
      'product',
      (metas) => batches.push(metas.length),
      (p) => progress.push(`${p.done}/${p.total}`),
    );
    expect(resumed.changed).toHaveLength(B + 50);
    expect(batches).toEqual([B, 50]);
    expect(progress).toEqual([`0/${B + 50}`, `${B}/${B + 50}`, `${B + 50}/${B + 50}`]);
    expect((await storage.allMeta('product:')).filter((m) => m.summary)).toHaveLength(total);
  });
});
