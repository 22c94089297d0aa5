import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  CloseCode,
  HybridClock,
  ReasonCode,
  applyPatch,
  materialize,
  productKind,
} from '@concord/shared';
import type { AppendBatch, AppendOutcome } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

/** A real store whose appends fail while `full` is set, like a full disk. */
class FullDiskStore extends SqliteEventStore {
  full = false;
  override async append(batches: readonly AppendBatch[]): Promise<AppendOutcome[]> {
    if (this.full) throw new Error('SQLITE_FULL: database or disk is full');
    return super.append(batches);
  }
}

describe('storage failure', () => {
  it('STOR1: while appends fail nothing is acknowledged; after recovery every edit is saved and present', async () => {
    const store = new FullDiskStore(':memory:');
    const server = await startTestServer({ store });
    try {
      const c = connect(server, 'product:full', token('ann', 'editor'), { extensions: true });
      await synced(c);
      const clock = new HybridClock({ replicaId: 'ann' });
      applyPatch(
        c.doc,
        productKind,
        { name: 'Before', stock: { delta: 1 } },
        { clock, writer: 'ann' },
      );
      await waitFor(() => c.saved(), 'first edit saved');

      store.full = true;
      applyPatch(
        c.doc,
        productKind,
        { name: 'During', stock: { delta: 2 } },
        { clock, writer: 'ann' },
      );
      await waitFor(
        () => c.errors.some((e) => e.code === ReasonCode.storageFailure),
        'storage error reported',
      );
      await waitFor(
        () => c.closes.some((x) => x.code === CloseCode.tryAgainLater),
        'connection closed with tryAgainLater',
      );
      expect(c.saved()).toBe(false);

      store.full = false;
      // The client reconnects by itself and resends; the server, rebuilt from its log, appends it.
      await waitFor(() => c.provider.wsconnected && c.saved(), 'saved after recovery', 20_000);
      const read = await api(server, 'GET', '/api/docs/product:full', {
        token: token('v', 'viewer'),
      });
      expect(read.json).toMatchObject({ name: 'During', stock: 3 });
      const log = await store.readLog('product:full', 0, 100);
      const rebuilt = new Y.Doc();
      for (const e of log) Y.applyUpdate(rebuilt, e.update);
      expect(materialize(rebuilt, productKind, 'full')).toEqual(
        materialize(c.doc, productKind, 'full'),
      );
      c.destroy();
    } finally {
      await server.close();
    }
  });
  it('PIPE2: nobody receives an edit the log does not hold: while appends fail, other clients see nothing of it', async () => {
    const store = new FullDiskStore(':memory:');
    const server = await startTestServer({ store });
    try {
      const writer = connect(server, 'product:pipe2', token('ann', 'editor'), { extensions: true });
      const reader = connect(server, 'product:pipe2', token('ben', 'viewer'), { extensions: true });
      await Promise.all([synced(writer), synced(reader)]);
      const clock = new HybridClock({ replicaId: 'ann' });
      applyPatch(writer.doc, productKind, { name: 'Durable' }, { clock, writer: 'ann' });
      await waitFor(() => materialize(reader.doc, productKind, 'x').name === 'Durable', 'relayed');
      store.full = true;
      applyPatch(writer.doc, productKind, { name: 'Never stored' }, { clock, writer: 'ann' });
      await waitFor(() => writer.closes.length > 0, 'writer disconnected');
      await waitFor(() => reader.closes.length > 0, 'reader disconnected too (document reloaded)');
      expect(materialize(reader.doc, productKind, 'x').name).toBe('Durable');
      writer.destroy();
      reader.destroy();
    } finally {
      await server.close();
    }
  });
});
