/**
 * MEM5: a large document answers fresh clients with one kept encoding of itself — right after a
 * load, the snapshot it was loaded from — and never with a stale one: every change drops it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind, type Patch } from '@concord/shared';
import { KEEP_WHOLE_FROM } from '../src/docs/liveDoc.js';
import type { RunningServer } from '../src/server.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { api, connect, startTestServer, synced, tempDir, token, waitFor } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DOC = 'product:big';
const editor = token('ann', 'editor');

/** A description long enough that the document keeps its encoding (letters, not one repeated). */
function longText(length: number): string {
  let s = '';
  for (let i = 0; s.length < length; i++) s += String.fromCharCode(97 + ((i * 7) % 26));
  return s;
}

/** Write `patch` as ann over a WebSocket and wait until it is saved. */
async function write(server: RunningServer, patch: Patch): Promise<void> {
  const c = connect(server, DOC, editor, { extensions: true });
  await synced(c);
  applyPatch(c.doc, productKind, patch, {
    clock: new HybridClock({ replicaId: 'ann-tab' }),
    writer: c.user,
  });
  await waitFor(() => c.saved(), 'edit saved');
  c.destroy();
}

/** What a fresh client (empty state vector) receives, as JSON. */
async function freshView(server: RunningServer): Promise<Record<string, unknown>> {
  const c = connect(server, DOC, token('ben', 'viewer'));
  await synced(c);
  const json = materialize(c.doc, productKind, 'big');
  c.destroy();
  return json;
}

async function liveDoc(server: RunningServer) {
  const live = await server.hub.loaded(DOC);
  if (!live) throw new Error(`${DOC} is not loaded`);
  return live;
}

describe('whole-document encoding kept for fresh clients', () => {
  it('MEM5: fresh clients get the current document, however it changed since the last one', async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    await write(server, { name: 'Big', description: longText(18_000) });
    // A client stays, so the document stays loaded between fresh clients.
    const holder = connect(server, DOC, token('cat', 'viewer'));
    await synced(holder);

    expect(await freshView(server)).toMatchObject({ name: 'Big', description: longText(18_000) });
    const live = await liveDoc(server);
    const kept = live.encodeWhole();
    expect(kept.byteLength).toBeGreaterThanOrEqual(KEEP_WHOLE_FROM);
    expect(live.encodeWhole()).toBe(kept);

    // A client's edit.
    await write(server, { name: 'Bigger' });
    expect(await freshView(server)).toMatchObject({ name: 'Bigger' });
    // A server edit (HTTP PATCH).
    const patched = await api(server, 'PATCH', `/api/docs/${DOC}`, {
      token: editor,
      body: { priceCents: 1234 },
    });
    expect(patched.status).toBe(200);
    expect(await freshView(server)).toMatchObject({ name: 'Bigger', priceCents: 1234 });
    expect(await freshView(server)).toEqual(materialize(holder.doc, productKind, 'big'));
    holder.destroy();
  });

  it('MEM5: a document loaded from a snapshot with nothing after it answers with that snapshot', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'concord.db');
    const first = await startTestServer({
      store: new SqliteEventStore(file),
      config: { snapshotEvery: 2 },
    });
    await write(first, { name: 'Big', description: longText(18_000) });
    await write(first, { name: 'Snapshotted' });
    const store = new SqliteEventStore(file);
    // The second write made the tail as long as `snapshotEvery`: the document is compacted.
    await waitFor(async () => (await store.load(DOC)).tail.length === 0, 'compacted');
    await first.close();
    const stored = await store.load(DOC);
    expect(stored.snapshot?.seq).toBe(2);
    // The snapshots the server loads, as the store hands them over.
    const loaded: Uint8Array[] = [];
    const load = store.load.bind(store);
    store.load = async (...args) => {
      const result = await load(...args);
      if (result.snapshot) loaded.push(result.snapshot.state);
      return result;
    };
    const second = await startTestServer({ store });
    cleanups.push(() => second.close());
    const holder = connect(second, DOC, token('cat', 'viewer'));
    await synced(holder);
    const live = await liveDoc(second);
    expect(loaded).toHaveLength(1);
    expect(live.encodeWhole()).toBe(loaded[0]);
    expect(await freshView(second)).toMatchObject({ name: 'Snapshotted' });

    await write(second, { name: 'Changed after load' });
    const after = live.encodeWhole();
    expect(after).not.toBe(loaded[0]);
    const check = new Y.Doc();
    Y.applyUpdate(check, after);
    expect(materialize(check, productKind, 'big')).toMatchObject({ name: 'Changed after load' });
    expect(await freshView(second)).toMatchObject({ name: 'Changed after load' });
    holder.destroy();
  });
});
