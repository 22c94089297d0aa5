import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, applyPatch, materialize, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { connect, startTestServer, synced, token, waitFor, type TestClient } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const edit = (client: TestClient, writer: string, patch: Parameters<typeof applyPatch>[2]) =>
  applyPatch(client.doc, productKind, patch, {
    clock: new HybridClock({ replicaId: writer }),
    writer: client.user,
  });

const same = (clients: TestClient[]) => {
  const first = Y.encodeStateVector(clients[0]!.doc).toString();
  return clients.every((c) => Y.encodeStateVector(c.doc).toString() === first);
};

describe('unmodified y-websocket clients', () => {
  it('WS1: several clients editing one product converge to identical state', async () => {
    const clients = ['ann', 'ben', 'cat', 'dan'].map((u) =>
      connect(server, 'product:ws1', token(u, 'editor')),
    );
    await Promise.all(clients.map(synced));
    clients.forEach((c, i) => {
      edit(c, `u${i}`, {
        name: `Name from ${i}`,
        description: `part ${i} `,
        tags: { add: [`t${i}`] },
        stock: { delta: i + 1 },
      });
    });
    await waitFor(
      () =>
        same(clients) && clients.every((c) => materialize(c.doc, productKind, 'ws1').stock === 10),
      'convergence',
    );
    const views = clients.map((c) => materialize(c.doc, productKind, 'ws1'));
    for (const v of views) expect(v).toEqual(views[0]);
    expect(views[0]!.tags).toEqual(['t0', 't1', 't2', 't3']);
    for (let i = 0; i < 4; i++) expect(views[0]!.description).toContain(`part ${i} `);
    clients.forEach((c) => c.destroy());
  });

  it('WS2: a late joiner receives everything written before it connected', async () => {
    const early = connect(server, 'product:ws2', token('ann', 'editor'), { extensions: true });
    await synced(early);
    edit(early, 'ann', { name: 'Early', priceCents: 999, stock: { delta: 3 } });
    await waitFor(() => early.saved(), 'early edit saved');
    early.destroy();
    const late = connect(server, 'product:ws2', token('ben', 'viewer'));
    await synced(late);
    expect(materialize(late.doc, productKind, 'ws2')).toMatchObject({
      name: 'Early',
      priceCents: 999,
      stock: 3,
    });
    late.destroy();
  });

  it('WS3: awareness (presence) relays between clients and is cleared when a client leaves', async () => {
    const a = connect(server, 'product:ws3', token('ann', 'editor'));
    const b = connect(server, 'product:ws3', token('ben', 'viewer'));
    await Promise.all([synced(a), synced(b)]);
    a.provider.awareness.setLocalStateField('user', { name: 'Ann', field: 'Price' });
    await waitFor(
      () => b.provider.awareness.getStates().get(a.doc.clientID)?.user?.field === 'Price',
      'presence relayed',
    );
    // AW3: the identity part is the server's, from the token
    expect(b.provider.awareness.getStates().get(a.doc.clientID)?.user).toMatchObject({
      id: 'ann',
      name: 'ann',
    });
    a.destroy();
    await waitFor(
      () => !b.provider.awareness.getStates().has(a.doc.clientID),
      'presence cleared after leave',
    );
    b.destroy();
  });

  it('WS4: clients that did not opt in never receive Concord message types; opted-in clients get durable acks', async () => {
    const plain = connect(server, 'product:ws4', token('ann', 'editor'));
    const opted = connect(server, 'product:ws4', token('ben', 'editor'), { extensions: true });
    await Promise.all([synced(plain), synced(opted)]);
    const unknown: number[] = [];
    plain.provider.ws!.addEventListener('message', (event: { data: unknown }) => {
      const type = new Uint8Array(event.data as ArrayBuffer)[0]!;
      if (type > 3) unknown.push(type);
    });
    edit(plain, 'ann', { name: 'Plain write' });
    edit(opted, 'ben', { priceCents: 5 });
    await waitFor(
      () => opted.saved() && materialize(opted.doc, productKind, 'ws4').name === 'Plain write',
      'opted client saved',
    );
    await waitFor(
      () => materialize(plain.doc, productKind, 'ws4').priceCents === 5,
      'plain client got update',
    );
    expect(opted.acks.length).toBeGreaterThan(0);
    expect(plain.acks).toEqual([]);
    expect(unknown).toEqual([]);
    plain.destroy();
    opted.destroy();
  });
});

describe('idempotent appends', () => {
  it('LOG1: an update the document already contains is not appended again', async () => {
    const a = connect(server, 'product:dup', token('ann', 'editor'), { extensions: true });
    await synced(a);
    edit(a, 'ann', { name: 'Once' });
    await waitFor(() => a.saved(), 'saved');
    const head = (await server.hub.store.head('product:dup'))!.seq;
    // Send the whole state again, twice, as a reconnecting client would.
    const b = connect(server, 'product:dup', token('ben', 'editor'), {
      extensions: true,
      doc: (() => {
        const d = new Y.Doc();
        Y.applyUpdate(d, Y.encodeStateAsUpdate(a.doc));
        return d;
      })(),
    });
    await synced(b);
    b.provider.disconnect();
    b.provider.connect();
    await synced(b);
    await waitFor(() => b.acks.length > 0 && b.saved(), 'b saved');
    expect((await server.hub.store.head('product:dup'))!.seq).toBe(head);
    a.destroy();
    b.destroy();
  });
});
