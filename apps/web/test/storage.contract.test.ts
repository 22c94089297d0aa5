import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStorage } from '../src/storage/docStorage';
import { IdbStorage } from '../src/storage/idbStorage';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { deriveAgain } from '../src/sync/deriveAgain';
import { parseDocName } from '@concord/shared';

let dbCounter = 0;
const implementations: [string, () => Promise<DocStorage>][] = [
  ['memory', async () => new MemoryStorage()],
  ['indexeddb', () => IdbStorage.open(`contract-${++dbCounter}`)],
];

function edit(text: string): Uint8Array {
  const doc = new Y.Doc();
  let update: Uint8Array = new Uint8Array();
  doc.on('update', (u: Uint8Array) => (update = u));
  doc.getText('t').insert(0, text);
  return update;
}

function textOf(updates: Uint8Array[]): string {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getText('t').toString();
}

describe.each(implementations)('DocStorage contract: %s', (_name, create) => {
  it('returns appended updates in order, per document', async () => {
    const s = await create();
    const a = edit('a');
    const b = edit('b');
    await s.appendUpdate('product:p1', a);
    await s.appendUpdate('product:p2', b);
    await s.appendUpdate('product:p1', b);
    expect(await s.loadUpdates('product:p1')).toEqual([a, b]);
    expect(await s.loadUpdates('product:p2')).toEqual([b]);
    expect(await s.loadUpdates('product:none')).toEqual([]);
    s.close();
  });

  it('compacts the log into one entry with the same content', async () => {
    const s = await create();
    const doc = new Y.Doc();
    doc.on('update', (u: Uint8Array) => void s.appendUpdate('product:c', u));
    for (let i = 0; i < 20; i++) doc.getText('t').insert(i, String(i % 10));
    await expect.poll(() => s.countUpdates('product:c')).toBe(20);
    await s.compact('product:c', Y.mergeUpdates);
    expect(await s.countUpdates('product:c')).toBe(1);
    expect(textOf(await s.loadUpdates('product:c'))).toBe(doc.getText('t').toString());
    s.close();
  });

  it('does not lose an update appended concurrently with compaction', async () => {
    const s = await create();
    await s.appendUpdate('product:x', edit('one'));
    await s.appendUpdate('product:x', edit('two'));
    const late = edit('three');
    await Promise.all([s.compact('product:x', Y.mergeUpdates), s.appendUpdate('product:x', late)]);
    const text = textOf(await s.loadUpdates('product:x'));
    for (const word of ['one', 'two', 'three']) expect(text).toContain(word);
    s.close();
  });

  it('tolerates the same update appended twice (two tabs)', async () => {
    const s = await create();
    const u = edit('dup');
    await s.appendUpdate('product:d', u);
    await s.appendUpdate('product:d', u);
    expect(textOf(await s.loadUpdates('product:d'))).toBe('dup');
    await s.compact('product:d', Y.mergeUpdates);
    expect(textOf(await s.loadUpdates('product:d'))).toBe('dup');
    s.close();
  });

  it('lists documents by prefix and keeps metadata with atomic updates', async () => {
    const s = await create();
    await s.appendUpdate('product:a', edit('a'));
    await s.updateMeta('profile:bob', (m) => ({ ...m, version: 3 }));
    expect(await s.listDocs()).toEqual(['product:a', 'profile:bob']);
    expect(await s.listDocs('product:')).toEqual(['product:a']);
    expect(await s.getMeta('product:a')).toMatchObject({ stored: 1, pending: [] });
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        s.updateMeta('product:a', (m) => ({ ...m, pending: [...m.pending, [n, n] as const] })),
      ),
    );
    const meta = await s.getMeta('product:a');
    expect(meta?.pending).toHaveLength(5);
    expect((await s.allMeta('profile:')).map((m) => m.doc)).toEqual(['profile:bob']);
    s.close();
  });

  it('DERIVE1: an update and its metadata change are one write; the count of stored updates survives compaction', async () => {
    const s = await create();
    const first = await s.appendUpdate('product:s', edit('one'), (m) => ({
      ...m,
      summary: { displayName: 'one' },
      summarized: (m.stored ?? 0) + 1,
    }));
    expect(first).toMatchObject({ stored: 1, summarized: 1, summary: { displayName: 'one' } });
    // Written in order of the calls, even when not awaited one by one.
    const writes = ['two', 'three', 'four'].map((t) =>
      s.appendUpdate('product:s', edit(t), (m) => ({
        ...m,
        summary: { displayName: t },
        summarized: (m.stored ?? 0) + 1,
      })),
    );
    await Promise.all(writes);
    expect(await s.getMeta('product:s')).toMatchObject({
      stored: 4,
      summarized: 4,
      summary: { displayName: 'four' },
    });
    await s.appendUpdate('product:s', edit('five'));
    await s.compact('product:s', Y.mergeUpdates);
    const meta = await s.getMeta('product:s');
    expect(meta).toMatchObject({ stored: 5, summarized: 4 });
    expect(await s.countUpdates('product:s')).toBe(1);
    s.close();
  });

  it('appends many updates in one write, in order, counting each (a document twice included)', async () => {
    const s = await create();
    await s.appendUpdate('product:m1', edit('before'));
    const metas = await s.appendMany([
      { doc: 'product:m1', update: edit('one'), change: (m) => ({ ...m, version: 7 }) },
      { doc: 'product:m2', update: edit('two') },
      { doc: 'product:m1', update: edit('three'), change: (m) => ({ ...m, summarized: m.stored }) },
    ]);
    expect(metas.map((m) => [m.doc, m.stored])).toEqual([
      ['product:m1', 2],
      ['product:m2', 1],
      ['product:m1', 3],
    ]);
    expect(await s.getMeta('product:m1')).toMatchObject({ stored: 3, version: 7, summarized: 2 });
    expect(textOf(await s.loadUpdates('product:m1'))).toHaveLength('beforeonethree'.length);
    expect(await s.interrupted()).toEqual([]);
    const read = await s.readMany(['product:m1', 'product:m2', 'product:none']);
    expect(read.get('product:m1')?.updates).toHaveLength(3);
    expect(read.get('product:m1')?.meta?.stored).toBe(3);
    expect(textOf(read.get('product:m2')!.updates)).toBe('two');
    expect(read.get('product:none')).toEqual({ updates: [] });
    s.close();
  });
});

/**
 * What Chromium does when it closes a connection (clearing site data, a crashed backing store):
 * abort its unfinished transactions, then close it with the forced flag (a `close` event).
 * fake-indexeddb's forceCloseDatabase waits for the transactions instead, so they are aborted
 * here first, through its internal list of a database's transactions.
 */
function browserCloses(db: IDBDatabase): void {
  const raw = (db as unknown as { _rawDatabase: { transactions: IDBTransaction[] } })._rawDatabase;
  for (const tx of raw.transactions) {
    const state = (tx as unknown as { _state: string })._state;
    // One already committing is written (its commit was requested before the close).
    if (tx.db === db && state !== 'finished' && state !== 'committing') tx.abort();
  }
  forceCloseDatabase(db as unknown as typeof IDBDatabase);
}

describe('IndexedDB storage when the browser closes the connection', () => {
  it('reopens, retries the failed operation once, loses nothing already written and says so', async () => {
    let reconnects = 0;
    const s = await IdbStorage.open(`contract-lost-${++dbCounter}`, {
      onReconnect: () => reconnects++,
    });
    await s.appendUpdate('product:k', edit('kept'));
    s.simulateConnectionLoss();
    const meta = await s.appendUpdate('product:k', edit('after'));
    expect(meta.stored).toBe(2);
    expect(reconnects).toBe(1);
    expect(textOf(await s.loadUpdates('product:k'))).toHaveLength('keptafter'.length);
    s.simulateConnectionLoss();
    expect(await s.readMany(['product:k'])).toHaveProperty('size', 1);
    expect(reconnects).toBe(2);
    s.close();
    await expect(s.getMeta('product:k')).rejects.toThrow();
  });

  it('retries writes whose transactions the closing connection aborted, on a reopened connection', async () => {
    let reconnects = 0;
    const s = await IdbStorage.open(`contract-forced-${++dbCounter}`, {
      onReconnect: () => reconnects++,
    });
    await s.appendUpdate('product:f', edit('kept'));
    // Three writes in flight, then the browser closes the connection (aborting them).
    const writes = [
      s.appendUpdate('product:f', edit('one')),
      s.updateMeta('product:f', (m) => ({ ...m, version: 9 })),
      s.appendMany([{ doc: 'product:g', update: edit('two') }]),
    ];
    s.simulateConnectionLoss(browserCloses);
    await Promise.all(writes);
    expect(reconnects).toBe(1);
    expect(textOf(await s.loadUpdates('product:f'))).toHaveLength('keptone'.length);
    expect(await s.getMeta('product:f')).toMatchObject({ stored: 2, version: 9 });
    expect(textOf(await s.loadUpdates('product:g'))).toBe('two');
    s.close();
  });
});

describe('IndexedDB storage: an update is on disk before its metadata (DERIVE2)', () => {
  it('keeps the update and its in-flight mark when the metadata write never completes, and deriving again repairs the metadata', async () => {
    const s = await IdbStorage.open(`contract-interrupted-${++dbCounter}`);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    doc.getMap('fields').set('name', 'Lamp');
    await s.appendUpdate('product:i', updates[0]!, (m) => ({ ...m, summarized: 1 }));
    expect(await s.interrupted()).toEqual([]);
    // The page goes away while the metadata is being rewritten (here: the change never returns).
    doc.getMap('fields').set('name', 'Desk lamp');
    await expect(
      s.appendUpdate('product:i', updates[1]!, () => {
        throw new Error('page closed');
      }),
    ).rejects.toThrow('page closed');
    expect(await s.countUpdates('product:i')).toBe(2);
    expect(await s.interrupted()).toEqual(['product:i']);
    expect(await s.getMeta('product:i')).toMatchObject({ stored: 1, pending: [] });

    const parsed = parseDocName('product:i');
    if (!parsed.ok) throw new Error('bad name');
    const repaired = await deriveAgain(s, 'product:i', parsed.name, true);
    expect(await s.interrupted()).toEqual([]);
    // Nothing was acknowledged: everything stored is pending again, and the summary is current.
    expect(repaired.pending).toEqual([[doc.clientID, 2]]);
    expect(repaired.summarized).toBe(repaired.stored);
    s.close();
  });
});
