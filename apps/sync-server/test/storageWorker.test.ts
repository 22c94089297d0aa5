/**
 * A dead dependency is never a silent hang (SPEC STOR2): when the SQLite append worker dies, the
 * appends in flight fail (so their documents reload and clients resend), the server reports itself
 * unready until a new worker answers, and every edit is saved afterwards.
 */
import { describe, expect, it } from 'vitest';
import { HybridClock, applyPatch, productKind } from '@concord/shared';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { api, connect, startTestServer, synced, tempDir, token, waitFor } from './helpers.js';

describe('append worker failure', () => {
  it('STOR2: appends in flight when the worker dies are rejected, not left hanging', async () => {
    const dir = tempDir();
    const store = new SqliteEventStore(`${dir.path}/w.db`);
    try {
      await store.append([{ doc: 'product:w', entries: [] }]);
      const pending = store.append([
        {
          doc: 'product:w',
          entries: [
            { update: new Uint8Array(1_000_000), user: 'u', ts: 1, kind: 'edit', changes: [] },
          ],
        },
      ]);
      await store.appendWorker!.thread!.terminate();
      await expect(pending).rejects.toThrow();
      expect(await store.ping()).toBe(false);
      await waitFor(() => store.ping(), 'a new worker answers');
      const [after] = await store.append([
        {
          doc: 'product:w',
          entries: [{ update: new Uint8Array([1]), user: 'u', ts: 2, kind: 'edit', changes: [] }],
        },
      ]);
      expect(after!.ok).toBe(true);
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('STOR2: the server is unready while the worker is down, and no edit is lost across it', async () => {
    const dir = tempDir();
    const store = new SqliteEventStore(`${dir.path}/concord.db`);
    const server = await startTestServer({ store });
    try {
      const c = connect(server, 'product:worker', token('ann', 'editor'), { extensions: true });
      await synced(c);
      const clock = new HybridClock({ replicaId: 'ann' });
      applyPatch(
        c.doc,
        productKind,
        { name: 'Before', stock: { delta: 1 } },
        { clock, writer: 'ann' },
      );
      await waitFor(() => c.saved(), 'saved');
      expect((await api(server, 'GET', '/readyz')).status).toBe(200);

      await store.appendWorker!.thread!.terminate();
      applyPatch(
        c.doc,
        productKind,
        { name: 'During', stock: { delta: 1 } },
        { clock, writer: 'ann' },
      );
      await waitFor(async () => (await api(server, 'GET', '/readyz')).status === 503, 'unready');
      await waitFor(
        async () => (await api(server, 'GET', '/readyz')).status === 200,
        'ready again',
      );
      applyPatch(
        c.doc,
        productKind,
        { name: 'After', stock: { delta: 1 } },
        { clock, writer: 'ann' },
      );
      await waitFor(() => c.saved(), 'everything saved after recovery');
      const read = await api(server, 'GET', '/api/docs/product:worker', {
        token: token('v', 'viewer'),
      });
      expect(read.json).toMatchObject({ name: 'After', stock: 3 });
      c.destroy();
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
