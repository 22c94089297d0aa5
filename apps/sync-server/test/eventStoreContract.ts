/**
 * The EventStore contract, written once and run against every implementation (SQLite, memory,
 * PostgreSQL). A new store needs a factory and one call of `runEventStoreContract`.
 */
import { describe, expect, it } from 'vitest';
import { entriesOrThrow, type EventStore, type NewEntry } from '../src/store/eventStore.js';

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
      'BLAME1: a blame index is stored per document; an older one never replaces a newer one',
      withStore(async (store) => {
        expect(await store.getBlame('product:b')).toBeUndefined();
        const change = { field: 'priceCents', from: 1, to: 2 };
        const at = (seq: number) => ({
          seq,
          fields: { priceCents: { seq, user: 'u', ts: seq, kind: 'edit' as const, change } },
        });
        await store.putBlame('product:b', at(5));
        await store.putBlame('product:b', at(3));
        expect(await store.getBlame('product:b')).toEqual(at(5));
        await store.putBlame('product:b', at(9));
        expect(await store.getBlame('product:b')).toEqual(at(9));
        expect(await store.getBlame('product:other')).toBeUndefined();
      }),
    );

    it(
      'STORE1: appends get gap-free per-document sequence numbers starting at 1',
      withStore(async (store) => {
        const [a1] = entriesOrThrow(
          await store.append([{ doc: 'product:a', entries: [entry(1), entry(2)] }]),
        );
        const [b1, a2] = entriesOrThrow(
          await store.append([
            { doc: 'product:b', entries: [entry(3)] },
            { doc: 'product:a', entries: [entry(4)] },
          ]),
        );
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
      "STORE12: a snapshot keeps the document's schema version when its writer gave one",
      withStore(async (store) => {
        await store.append([{ doc: 'product:v', entries: [1, 2, 3].map((n) => entry(n)) }]);
        await store.saveSnapshot('product:v', { seq: 1, state: new Uint8Array([1]) });
        const unknown = (await store.load('product:v')).snapshot;
        expect(unknown?.seq).toBe(1);
        expect(unknown?.schemaVersion).toBeUndefined();
        await store.saveSnapshot('product:v', {
          seq: 2,
          state: new Uint8Array([2]),
          schemaVersion: 7,
        });
        expect((await store.load('product:v')).snapshot).toMatchObject({
          seq: 2,
          schemaVersion: 7,
        });
        expect((await store.load('product:v', 1)).snapshot?.schemaVersion).toBeUndefined();
      }),
    );

    it(
      'STORE3: load gives back every update byte for byte, whatever its bytes (zeros, invalid UTF-8, empty-looking)',
      withStore(async (store) => {
        const updates = [
          Uint8Array.from({ length: 256 }, (_, i) => i),
          new Uint8Array([0, 0, 0]),
          new Uint8Array([0xff, 0xfe, 0xc3]),
          new Uint8Array([0xed, 0xa0, 0x80, 0, 0xf4, 0x90]),
          new Uint8Array([0]),
          new Uint8Array(70_000).fill(0xc0),
        ];
        await store.append([
          { doc: 'product:bytes', entries: updates.map((update, i) => entry(i + 1, { update })) },
        ]);
        await store.append([{ doc: 'product:other', entries: [entry(7)] }]);
        const loaded = await store.load('product:bytes');
        expect(loaded.tail.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(loaded.tail.map((e) => [...e.update])).toEqual(updates.map((u) => [...u]));
        const part = await store.load('product:bytes', 4);
        expect(part.tail.map((e) => [...e.update])).toEqual(updates.slice(0, 4).map((u) => [...u]));
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

    it(
      "STORE7 ID1: client-id claims are kept with the log; a batch claiming another user's id is refused alone",
      withStore(async (store) => {
        const ok = await store.append([
          { doc: 'product:o', entries: [entry(1)], claims: [{ client: 11, user: 'ann' }] },
        ]);
        expect(ok[0]!.ok).toBe(true);
        const [stolen, other, same] = await store.append([
          { doc: 'product:o', entries: [entry(2)], claims: [{ client: 11, user: 'mallory' }] },
          { doc: 'product:p', entries: [entry(3)], claims: [{ client: 11, user: 'mallory' }] },
          {
            doc: 'product:o',
            entries: [entry(4)],
            claims: [
              { client: 11, user: 'ann' },
              { client: 12, user: 'ann' },
            ],
          },
        ]);
        expect(stolen).toMatchObject({ ok: false, code: 'owner_conflict' });
        expect(other!.ok).toBe(true);
        expect(same!.ok).toBe(true);
        expect((await store.readLog('product:o', 0, 10)).map((e) => [e.seq, e.user])).toEqual([
          [1, 'user-1'],
          [2, 'user-4'],
        ]);
        const owners = (await store.owners('product:o')).sort((a, b) => a.client - b.client);
        expect(owners).toEqual([
          { client: 11, user: 'ann' },
          { client: 12, user: 'ann' },
        ]);
        expect(await store.owners('product:p')).toEqual([{ client: 11, user: 'mallory' }]);
      }),
    );

    it(
      'STORE8: a conditional append (ifHead) is written only while the head is where it expects',
      withStore(async (store) => {
        await store.append([{ doc: 'product:h', entries: [entry(1)] }]);
        const [moved] = await store.append([{ doc: 'product:h', entries: [entry(2)], ifHead: 0 }]);
        expect(moved).toMatchObject({ ok: false, code: 'head_moved' });
        const [fine] = await store.append([{ doc: 'product:h', entries: [entry(3)], ifHead: 1 }]);
        expect(fine).toMatchObject({ ok: true });
        expect((await store.head('product:h'))?.seq).toBe(2);
      }),
    );

    it(
      'STORE9: the log reads backwards, newest first, from a cursor',
      withStore(async (store) => {
        await store.append([{ doc: 'product:r', entries: [1, 2, 3, 4, 5].map((n) => entry(n)) }]);
        const seqs = async (before: number, limit: number) =>
          (await store.readLogBackwards('product:r', before, limit)).map((e) => e.seq);
        expect(await seqs(Number.MAX_SAFE_INTEGER, 2)).toEqual([5, 4]);
        expect(await seqs(4, 2)).toEqual([3, 2]);
        expect(await seqs(2, 10)).toEqual([1]);
        expect(await seqs(1, 10)).toEqual([]);
      }),
    );

    it(
      'STORE10 PG2: field changes holding NUL, lone surrogates and odd unicode are stored and read back exactly',
      withStore(async (store) => {
        const odd = [
          'nul \u0000 here',
          'lone \ud800 high',
          'lone \udc00 low',
          'emoji 😀',
          'rtl \u202e',
        ];
        const changes = odd.map((v, i) => ({ field: `f${i}`, from: v, to: { nested: v } }));
        const [r] = await store.append([{ doc: 'product:u', entries: [entry(1, { changes })] }]);
        expect(r!.ok).toBe(true);
        const [back] = await store.readLog('product:u', 0, 1);
        expect(back!.changes).toEqual(changes);
      }),
    );

    it(
      "STORE11: the store's other writes (snapshots, blame, idempotency records) made while an append is in flight never fail it",
      withStore(async (store) => {
        const appends = 200;
        const failures: string[] = [];
        for (let n = 1; n <= appends; n++) {
          const pending = store.append([{ doc: 'product:a', entries: [entry(n)] }]);
          // As the document hub does: a snapshot or blame index written while a commit is out.
          await store.saveSnapshot('product:o', { seq: n, state: new Uint8Array([n & 255]) });
          await store.putBlame('product:o', { seq: n, fields: {} });
          await store.putIdempotent(`key-${n}`, { status: 200, body: String(n), headers: {} });
          const [r] = await pending.catch((error: unknown) => [
            { ok: false as const, message: String(error) },
          ]);
          if (!r!.ok) failures.push(`append ${n}: ${r!.message}`);
        }
        expect(failures).toEqual([]);
        expect((await store.readLog('product:a', 0, appends + 1)).map((e) => e.seq)).toEqual(
          Array.from({ length: appends }, (_, i) => i + 1),
        );
        expect((await store.load('product:o')).snapshot?.seq).toBe(appends);
        expect((await store.getBlame('product:o'))?.seq).toBe(appends);
        expect(await store.getIdempotent(`key-${appends}`)).toMatchObject({
          body: String(appends),
        });
      }),
    );
  });
}

/**
 * STORE12 for a store opened on tables made before snapshots recorded schema versions, holding a
 * snapshot of `product:old` whose state is [5]: it reads it (no version) and records versions now.
 */
export async function expectVersionsAfterOldSnapshots(store: EventStore): Promise<void> {
  const before = (await store.load('product:old')).snapshot;
  expect(before && [...before.state]).toEqual([5]);
  expect(before?.schemaVersion).toBeUndefined();
  await store.saveSnapshot('product:new', { seq: 0, state: new Uint8Array([6]), schemaVersion: 3 });
  expect((await store.load('product:new')).snapshot?.schemaVersion).toBe(3);
}
