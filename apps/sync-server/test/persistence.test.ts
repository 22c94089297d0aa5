import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import {
  api,
  connect,
  startTestServer,
  synced,
  tempDir,
  token,
  waitFor,
  type TestClient,
} from './helpers.js';
import { freePort, healthy, spawnServer as spawnChild } from './childServer.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const edit = (c: TestClient, writer: string, patch: Parameters<typeof applyPatch>[2]) =>
  applyPatch(c.doc, productKind, patch, {
    clock: new HybridClock({ replicaId: writer }),
    writer: c.user,
  });

/** Every (client, clock) in `acked` is contained in `doc`. */
function contains(doc: Y.Doc, acked: Uint8Array): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of Y.decodeStateVector(acked))
    if ((have.get(client) ?? 0) < clock) return false;
  return true;
}

function spawnServer(port: number, dataDir: string): ChildProcess {
  return spawnChild(port, dataDir, { SNAPSHOT_EVERY: '50' }, (child) =>
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL')),
  );
}

describe('persistence', () => {
  it('PERS1: acknowledged edits survive a clean restart; loading uses snapshot + tail', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'concord.db');
    const first = await startTestServer({
      store: new SqliteEventStore(file),
      config: { snapshotEvery: 10 },
    });
    const c = connect(first, 'product:p1', token('ann', 'editor'), { extensions: true });
    await synced(c);
    // One edit at a time: updates sent together would be logged as one entry.
    for (let i = 0; i < 35; i++) {
      edit(c, 'ann', { name: `Name ${i}`, stock: { delta: 1 } });
      await waitFor(() => c.saved(), 'saved');
    }
    const expected = materialize(c.doc, productKind, 'p1');
    c.destroy();
    await first.close();

    const store = new SqliteEventStore(file);
    const second = await startTestServer({ store });
    cleanups.push(() => second.close());
    const loaded = await store.load('product:p1');
    expect(loaded.snapshot?.seq).toBeGreaterThanOrEqual(10);
    expect(loaded.tail.length).toBeLessThan(35);
    const fresh = connect(second, 'product:p1', token('ben', 'viewer'));
    await synced(fresh);
    expect(materialize(fresh.doc, productKind, 'p1')).toEqual(expected);
    expect(expected).toMatchObject({ name: 'Name 34', stock: 35 });
    fresh.destroy();
  });

  it('PERS4: a long log never compacted (written behind the server) loads intact, and is snapshotted at its head on load', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const file = join(dir.path, 'concord.db');
    // 60 entries appended straight to the store, as an import or an older server would.
    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => updates.push(u));
    const ctx = { clock: new HybridClock({ replicaId: 'imp' }), writer: 'importer' };
    for (let i = 0; i < 60; i++)
      applyPatch(writer, productKind, { name: `Imported ${i}`, stock: { delta: 2 } }, ctx);
    const raw = new SqliteEventStore(file);
    await raw.append([
      {
        doc: 'product:raw',
        entries: updates.map((update) => ({
          update,
          user: 'importer',
          ts: Date.now(),
          kind: 'edit' as const,
          changes: [],
        })),
        claims: [{ client: writer.clientID, user: 'importer' }],
      },
    ]);
    await raw.close();
    expect((await new SqliteEventStore(file).load('product:raw')).snapshot).toBeUndefined();

    const store = new SqliteEventStore(file);
    const server = await startTestServer({ store, config: { snapshotEvery: 50 } });
    cleanups.push(() => server.close());
    const reader = connect(server, 'product:raw', token('ben', 'viewer'));
    cleanups.push(() => reader.destroy());
    await synced(reader);
    expect(materialize(reader.doc, productKind, 'raw')).toEqual(
      materialize(writer, productKind, 'raw'),
    );
    await waitFor(async () => (await store.load('product:raw')).snapshot?.seq === 60, 'snapshot');
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, (await store.load('product:raw')).snapshot!.state);
    expect(materialize(rebuilt, productKind, 'raw')).toEqual(
      materialize(writer, productKind, 'raw'),
    );
  });

  it('PERS2: kill -9 in the middle of a burst: every acknowledged edit is present after restart, and clients converge with nothing lost', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = { url, wsUrl: `ws://127.0.0.1:${port}` };
    let child = spawnServer(port, dir.path);
    await healthy(url);

    const clients = ['ann', 'ben', 'cat'].map((u) =>
      connect(server, 'product:burst', token(u, 'editor'), { extensions: true }),
    );
    cleanups.push(() => clients.forEach((c) => c.destroy()));
    await Promise.all(clients.map(synced));
    let deltas = 0;
    let stop = false;
    const burst = (async () => {
      for (let i = 0; i < 400 && !stop; i++) {
        const c = clients[i % clients.length]!;
        edit(c, `u${i % 3}`, { stock: { delta: 1 }, name: `Burst ${i}`, description: `${i} ` });
        deltas += 1;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await waitFor(
      () => clients.every((c) => c.acks.length >= 5),
      'some edits acknowledged before the crash',
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const ackedAtCrash = clients.map((c) => c.acks.at(-1)!.stateVector);
    expect(ackedAtCrash.every((sv) => Y.decodeStateVector(sv).size > 0)).toBe(true);

    child = spawnServer(port, dir.path);
    await healthy(url);
    // A fresh client sees every acknowledged edit, before the old clients resend anything.
    const verifier = connect(server, 'product:burst', token('vic', 'viewer'));
    cleanups.push(() => verifier.destroy());
    await synced(verifier);
    for (const sv of ackedAtCrash) expect(contains(verifier.doc, sv)).toBe(true);

    await burst;
    stop = true;
    // The old clients reconnect by themselves, resend what the server lacks, and everything is saved.
    await waitFor(
      () => clients.every((c) => c.saved()),
      'every client fully saved after restart',
      30_000,
    );
    await waitFor(
      () => clients.every((c) => materialize(c.doc, productKind, 'b').stock === deltas),
      'no delta lost',
    );
    const views = [...clients, verifier].map((c) => materialize(c.doc, productKind, 'b'));
    await waitFor(
      () =>
        JSON.stringify(materialize(verifier.doc, productKind, 'b')) === JSON.stringify(views[0]),
      'verifier converged',
    );
    for (const v of [...clients, verifier].map((c) => materialize(c.doc, productKind, 'b')))
      expect(v).toEqual(views[0]);
    const read = await api(server, 'GET', '/api/docs/product:burst', {
      token: token('vic', 'viewer'),
    });
    expect(read.json.stock).toBe(deltas);
    // SIGTERM: the server flushes, closes sockets with "going away" and exits cleanly.
    const closesBefore = clients[0]!.closes.length;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => clients[0]!.closes.length > closesBefore, 'client saw the close');
    expect(clients[0]!.closes[closesBefore]!.code).toBe(CloseCode.goingAway);
  });

  it('PERS3: documents with no connections are unloaded after the idle period and load again intact', async () => {
    const server = await startTestServer({ config: { idleUnloadMs: 20 } });
    cleanups.push(() => server.close());
    for (let round = 0; round < 30; round++) {
      const c = connect(server, `product:idle${round % 3}`, token('ann', 'editor'), {
        extensions: true,
      });
      await synced(c);
      edit(c, 'ann', { stock: { delta: 1 } });
      await waitFor(() => c.saved(), 'saved');
      c.destroy();
    }
    await waitFor(() => server.hub.loadedCount() === 0, 'all documents unloaded');
    for (let i = 0; i < 3; i++) {
      const res = await api(server, 'GET', `/api/docs/product:idle${i}`, {
        token: token('v', 'viewer'),
      });
      expect(res.json.stock).toBe(10);
    }
  });
});
