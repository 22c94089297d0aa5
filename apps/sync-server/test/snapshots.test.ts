/**
 * SNAP1: a snapshot is due after SNAPSHOT_EVERY entries, and for a large document not before the
 * entries since its last snapshot add up to a quarter of that snapshot's size.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotProgress, TAIL_SHARE } from '../src/docs/snapshotPolicy.js';
import type { RunningServer } from '../src/server.js';
import type { EventStore } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { api, startTestServer, token, waitFor } from './helpers.js';

const EVERY = 10;
const editor = token('ann', 'editor');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(): Promise<{ server: RunningServer; store: EventStore }> {
  const store = new SqliteEventStore(':memory:');
  const server = await startTestServer({ store, config: { snapshotEvery: EVERY } });
  cleanups.push(() => server.close());
  return { server, store };
}

async function patch(server: RunningServer, doc: string, body: object): Promise<void> {
  const res = await api(server, 'PATCH', `/api/docs/${doc}`, { token: editor, body });
  expect(res.status).toBe(200);
}

async function snapshotSeq(store: EventStore, doc: string): Promise<number> {
  return (await store.load(doc)).snapshot?.seq ?? 0;
}

/** A description of `length` letters (not one repeated: Yjs would store that compactly too). */
function text(length: number): string {
  let s = '';
  for (let i = 0; s.length < length; i++) s += String.fromCharCode(97 + ((i * 7) % 26));
  return s;
}

describe('snapshots', () => {
  it('SNAP1: a small document gets a snapshot every SNAPSHOT_EVERY entries', async () => {
    const { server, store } = await setUp();
    for (let i = 1; i <= EVERY; i++) await patch(server, 'product:small', { priceCents: i });
    await waitFor(async () => (await snapshotSeq(store, 'product:small')) === EVERY, 'snapshot');
    for (let i = 1; i <= EVERY; i++) await patch(server, 'product:small', { priceCents: 100 + i });
    await waitFor(
      async () => (await snapshotSeq(store, 'product:small')) === 2 * EVERY,
      'second snapshot',
    );
  });

  it('SNAP1: a large document waits until its new entries add up to a quarter of its snapshot', async () => {
    const { server, store } = await setUp();
    const doc = 'product:large';
    await patch(server, doc, { name: 'Large', description: text(18_000) });
    for (let i = 1; i < EVERY; i++) await patch(server, doc, { priceCents: i });
    await waitFor(async () => (await snapshotSeq(store, doc)) === EVERY, 'first snapshot');
    const first = (await store.load(doc)).snapshot!.state.byteLength;
    expect(first).toBeGreaterThan(18_000);

    // One small edit at a time until a second snapshot is written; note where the entries since
    // the first one reached a quarter of its size.
    let reachedAt: number | undefined;
    let bytes = 0;
    for (let i = 1; i <= 2_000 && (await snapshotSeq(store, doc)) === EVERY; i++) {
      await patch(server, doc, { priceCents: 1_000 + i });
      const [entry] = await store.readLog(doc, EVERY + i - 1, 1);
      bytes += entry!.update.byteLength;
      if (reachedAt === undefined && bytes * TAIL_SHARE >= first) reachedAt = entry!.seq;
      if (reachedAt !== undefined)
        await waitFor(async () => (await snapshotSeq(store, doc)) > EVERY, 'second snapshot');
    }
    // Every SNAPSHOT_EVERY entries, it would have come at entry 20, long before.
    expect(reachedAt).toBeGreaterThan(2 * EVERY);
    expect(await snapshotSeq(store, doc)).toBeGreaterThanOrEqual(reachedAt!);
  });

  it('SNAP1: what is committed while a snapshot is written counts towards the next; an older snapshot saved late changes nothing', () => {
    const bytes = (n: number, size: number) =>
      Array.from({ length: n }, () => ({ update: new Uint8Array(size) }));
    const progress = new SnapshotProgress({ entries: 0, bytes: 0 }, 0, 0);
    progress.committed(bytes(EVERY, 100));
    expect(progress.due(EVERY)).toBe(true);
    const covers = progress.mark();
    progress.committed(bytes(1, 300)); // while the snapshot is being written
    progress.taken(covers, EVERY, 4_000);
    expect(progress.since()).toEqual({ entries: 1, bytes: 300 });
    progress.committed(bytes(EVERY - 1, 50)); // 10 entries, 750 bytes: 3,000 < 4,000
    expect(progress.due(EVERY)).toBe(false);
    progress.committed(bytes(1, 250)); // 1,000 bytes: 4,000
    expect(progress.due(EVERY)).toBe(true);
    // The snapshot saved after a load, finishing after a later compaction's.
    progress.taken({ entries: 0, bytes: 0 }, EVERY - 5, 100);
    expect(progress.since()).toEqual({ entries: EVERY + 1, bytes: 1_000 });
  });
});
