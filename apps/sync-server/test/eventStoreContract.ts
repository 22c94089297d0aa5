/**
 * The EventStore contract, written once and run against every implementation (SQLite, memory,
 * PostgreSQL). A new store needs a factory and one call of `runEventStoreContract`.
 */
import { describe, expect, it } from 'vitest';
import type { EventStore, NewEntry } from '../src/store/eventStore.js';

const entry = (n: number, over: Partial<NewEntry> = {}): NewEntry => ({
  update: new Uint8Array([n, n + 1, n + 2]),
  user: `user-${n}`,
  ts: 1_700_000_000_000 + n,
  kind: 'edit',
  changes: [{ field: 'name', from: `v${n - 1}`, to: `v${n}` }],
  ...over,
});

export function runEventStoreContract(name: string, create: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    const withStore = (fn: (store: EventStore) => Promise<void>) => async () => {
      const store = await create();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    };

    it(
      'STORE1: appends get gap-free per-document sequence numbers starting at 1',
      withStore(async (store) => {
        const [a1] = await store.append([{ doc: 'product:a', entries: [entry(1), entry(2)] }]);
        const [b1, a2] = await store.append([
          { doc: 'product:b', entries: [entry(3)] },
          { doc: 'product:a', entries: [entry(4)] },
        ]);
        expect(a1!.map((e) => e.seq)).toEqual([1, 2]);
        expect(b1!.map((e) => e.seq)).toEqual([1]);
        expect(a2!.map((e) => e.seq)).toEqual([3]);
        expect(await store.head('product:a')).toEqual({
          doc: 'product:a',
          seq: 3,
          updatedAt: entry(4).ts,
        });
        expect(await store.head('product:none')).toBeUndefined();
      }),
    );

    it(
      'STORE2: entries read back exactly: update bytes, writer, time, kind, reason, changes',
      withStore(async (store) => {
        await store.append([
          {
            doc: 'product:a',
            entries: [
              entry(1),
              entry(2, { kind: 'compensation', reason: 'invalid_document', user: 'server' }),
            ],
          },
        ]);
        const log = await store.readLog('product:a', 0, 10);
        expect(log).toHaveLength(2);
        expect(log[0]).toMatchObject({
          doc: 'product:a',
          seq: 1,
          user: 'user-1',
          ts: entry(1).ts,
          kind: 'edit',
          changes: entry(1).changes,
        });
        expect([...log[0]!.update]).toEqual([1, 2, 3]);
        expect(log[1]).toMatchObject({
          seq: 2,
          kind: 'compensation',
          reason: 'invalid_document',
          user: 'server',
        });
        expect(log[0]!.reason).toBeUndefined();
        expect((await store.readLog('product:a', 1, 10)).map((e) => e.seq)).toEqual([2]);
        expect((await store.readLog('product:a', 0, 1)).map((e) => e.seq)).toEqual([1]);
      }),
    );

    it(
      'STORE3: load returns the newest snapshot at or before a version and only the tail after it; history is kept',
      withStore(async (store) => {
        await store.append([{ doc: 'product:a', entries: [1, 2, 3, 4, 5].map((n) => entry(n)) }]);
        expect((await store.load('product:a')).snapshot).toBeUndefined();
        await store.saveSnapshot('product:a', { seq: 3, state: new Uint8Array([9, 9]) });
        const latest = await store.load('product:a');
        expect(latest.snapshot?.seq).toBe(3);
        expect([...latest.snapshot!.state]).toEqual([9, 9]);
        expect(latest.tail.map((e) => e.seq)).toEqual([4, 5]);
        const past = await store.load('product:a', 2);
        expect(past.snapshot).toBeUndefined();
        expect(past.tail.map((e) => e.seq)).toEqual([1, 2]);
        expect((await store.load('product:a', 4)).tail.map((e) => e.seq)).toEqual([4]);
        expect((await store.readLog('product:a', 0, 100)).map((e) => e.seq)).toEqual([
          1, 2, 3, 4, 5,
        ]);
        await store.saveSnapshot('product:a', { seq: 3, state: new Uint8Array([1]) }); // same seq again: harmless
        expect((await store.load('product:a')).snapshot?.seq).toBe(3);
      }),
    );

    it(
      'STORE4: listDocs lists documents by prefix with their head',
      withStore(async (store) => {
        await store.append([
          { doc: 'product:b', entries: [entry(1)] },
          { doc: 'product:a', entries: [entry(2), entry(3)] },
          { doc: 'profile:u', entries: [entry(4)] },
        ]);
        expect((await store.listDocs('product:')).map((h) => [h.doc, h.seq])).toEqual([
          ['product:a', 2],
          ['product:b', 1],
        ]);
        expect((await store.listDocs('')).length).toBe(3);
      }),
    );

    it(
      'STORE5: the first idempotency record for a key wins',
      withStore(async (store) => {
        const first = { status: 200, body: '{"a":1}', headers: { etag: '"1"' } };
        expect(await store.getIdempotent('k')).toBeUndefined();
        expect(await store.putIdempotent('k', first)).toEqual(first);
        expect(
          await store.putIdempotent('k', { status: 200, body: '{"a":2}', headers: {} }),
        ).toEqual(first);
        expect(await store.getIdempotent('k')).toEqual(first);
      }),
    );

    it(
      'STORE6: concurrent appends to one document keep a gap-free sequence',
      withStore(async (store) => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.append([{ doc: 'product:c', entries: [entry(i + 1)] }]),
          ),
        );
        expect((await store.readLog('product:c', 0, 100)).map((e) => e.seq)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        expect(await store.ping()).toBe(true);
      }),
    );
  });
}
