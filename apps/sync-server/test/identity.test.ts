/**
 * Writes are bound to identities (SPEC ID1–ID4): a Yjs client id belongs to the user who first
 * wrote under it (or announced awareness for it); register and counter slots are the writer's own
 * and name the writer. Each attack here made someone's edit vanish or be misattributed before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  ReasonCode,
  SERVER_IDENTITY,
  applyPatch,
  materialize,
  productKind,
  readRegister,
} from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { attacker, updateFrame } from './attacker.js';
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

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const clock = (id: string) => new HybridClock({ replicaId: id });
const edit = (c: TestClient, patch: Parameters<typeof applyPatch>[2]) =>
  applyPatch(c.doc, productKind, patch, { clock: clock(c.user), writer: c.user });
const json = (doc: Y.Doc) => materialize(doc, productKind, 'x');

/** What Mallory can build: a doc that writes under `client` from the state of `source`. */
function impersonate(source: Y.Doc, client: number): Y.Doc {
  const forged = new Y.Doc();
  Y.applyUpdate(forged, Y.encodeStateAsUpdate(source));
  forged.clientID = client;
  return forged;
}

/** The update Mallory sends: `patch` written under `client`, on top of `source`'s state. */
function forgedPatch(
  source: Y.Doc,
  client: number,
  patch: Parameters<typeof applyPatch>[2],
  writer: string,
): Uint8Array {
  const forged = impersonate(source, client);
  return changes(forged, () =>
    applyPatch(forged, productKind, patch, { clock: clock('m'), writer }),
  );
}

function changes(doc: Y.Doc, fn: () => void): Uint8Array {
  const before = Y.encodeStateVector(doc);
  fn();
  return Y.encodeStateAsUpdate(doc, before);
}

describe('client ids belong to the user who first wrote them', () => {
  it("ID1: structs under another user's client id at their next clocks are refused whole; that user's real edit is saved and seen by everyone", async () => {
    const doc = 'product:id1';
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    const bob = connect(server, doc, token('bob', 'viewer'));
    await Promise.all([synced(alice), synced(bob)]);
    edit(alice, { name: 'Alice 1', stock: { delta: 5 } });
    await waitFor(() => alice.saved() && json(bob.doc).name === 'Alice 1', 'first edit everywhere');

    const mallory = await attacker(server, doc, token('mallory', 'editor'));
    const update = forgedPatch(
      alice.doc,
      alice.doc.clientID,
      { name: 'Mallory was here', stock: { delta: 100 } },
      'alice',
    );
    mallory.send(updateFrame(update));
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]).toMatchObject({
      code: ReasonCode.forgedIdentity,
      clients: [alice.doc.clientID],
    });
    expect(mallory.closeCode()).toBeUndefined(); // refused, not disconnected

    // Alice now writes at exactly the clocks Mallory tried to take.
    edit(alice, { name: 'Alice 2' });
    await waitFor(
      () => alice.saved() && json(bob.doc).name === 'Alice 2',
      "Alice's edit saved and relayed",
    );
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json).toMatchObject({ name: 'Alice 2', stock: 5 });
    expect(json(bob.doc)).toMatchObject({ name: 'Alice 2', stock: 5 });
    mallory.close();
    alice.destroy();
    bob.destroy();
  });

  it("ID1: a client id announced in awareness is its user's before they write: another user's structs under it are refused", async () => {
    const doc = 'product:id1b';
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    alice.provider.awareness.setLocalStateField('field', 'name');
    await waitFor(
      async () =>
        (await server.hub.loaded(doc))!.awareness
          .all()
          .some((e) => e.clientId === alice.doc.clientID),
      'awareness announced',
    );
    const mallory = await attacker(server, doc, token('mallory', 'editor'));
    mallory.send(
      updateFrame(
        forgedPatch(alice.doc, alice.doc.clientID, { description: 'not Alice' }, 'alice'),
      ),
    );
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.forgedIdentity);
    edit(alice, { description: 'Alice typed this' });
    await waitFor(() => alice.saved(), 'saved');
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json.description).toBe('Alice typed this');
    mallory.close();
    alice.destroy();
  });

  it('ID1: ownership is kept with the log: after a restart the forged update is still refused', async () => {
    const dir = tempDir();
    const file = `${dir.path}/concord.db`;
    let first: RunningServer | undefined = await startTestServer({
      store: new SqliteEventStore(file),
    });
    const doc = 'product:id1c';
    const alice = connect(first, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    edit(alice, { name: 'Before restart' });
    await waitFor(() => alice.saved(), 'saved');
    const aliceId = alice.doc.clientID;
    const snapshot = new Y.Doc();
    Y.applyUpdate(snapshot, Y.encodeStateAsUpdate(alice.doc));
    alice.destroy();
    await first.close();
    first = undefined;
    const second = await startTestServer({ store: new SqliteEventStore(file) });
    try {
      const mallory = await attacker(second, doc, token('mallory', 'editor'));
      mallory.send(
        updateFrame(forgedPatch(snapshot, aliceId, { name: 'Forged after restart' }, 'alice')),
      );
      await waitFor(() => mallory.errors.length > 0, 'refusal');
      expect(mallory.errors[0]!.code).toBe(ReasonCode.forgedIdentity);
      const read = await api(second, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
      expect(read.json.name).toBe('Before restart');
      mallory.close();
    } finally {
      await second.close();
      dir.remove();
    }
  });

  it("ID4: deleting other people's content stays allowed: that is editing", async () => {
    const doc = 'product:id4';
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    const ben = connect(server, doc, token('ben', 'editor'), { extensions: true });
    await Promise.all([synced(alice), synced(ben)]);
    edit(alice, { description: 'Alice wrote a long description' });
    await waitFor(() => alice.saved() && json(ben.doc).description !== '', 'relayed');
    edit(ben, { description: 'Alice wrote' });
    await waitFor(
      () => ben.saved() && json(alice.doc).description === 'Alice wrote',
      'deletion accepted',
    );
    expect(ben.errors).toEqual([]);
    alice.destroy();
    ben.destroy();
  });
});

describe('register and counter slots are the writer’s own', () => {
  it("ID2: a register slot keyed by another client's id, or naming another user, is refused; nothing changes", async () => {
    const doc = 'product:id2';
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    edit(alice, { name: 'Alice named it', priceCents: 900 });
    await waitFor(() => alice.saved(), 'saved');

    const mallory = await attacker(server, doc, token('mallory', 'editor'));
    const mine = new Y.Doc();
    Y.applyUpdate(mine, Y.encodeStateAsUpdate(alice.doc));
    const stamp = { wallMs: Date.now(), counter: 0, replicaId: 'm' };
    // (a) a slot under Alice's key, written by Mallory's own client
    mallory.send(
      updateFrame(
        changes(mine, () =>
          mine
            .getMap('r:name')
            .set(String(alice.doc.clientID), { v: 'Alice agrees', t: stamp, by: 'alice' }),
        ),
      ),
    );
    await waitFor(() => mallory.errors.length >= 1, 'first refusal');
    // (b) Mallory's own slot, claiming Alice wrote it
    const honestKey = new Y.Doc();
    Y.applyUpdate(honestKey, Y.encodeStateAsUpdate(alice.doc));
    mallory.send(
      updateFrame(
        changes(honestKey, () =>
          honestKey
            .getMap('r:priceCents')
            .set(String(honestKey.clientID), { v: 1, t: stamp, by: 'alice' }),
        ),
      ),
    );
    // (c) a counter slot under Alice's key
    const counter = new Y.Doc();
    Y.applyUpdate(counter, Y.encodeStateAsUpdate(alice.doc));
    mallory.send(
      updateFrame(
        changes(counter, () => counter.getMap('c:stock').set(String(alice.doc.clientID), -1000)),
      ),
    );
    await waitFor(() => mallory.errors.length >= 3, 'three refusals');
    expect(mallory.errors.map((e) => e.code)).toEqual([
      ReasonCode.forgedIdentity,
      ReasonCode.forgedIdentity,
      ReasonCode.forgedIdentity,
    ]);
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json).toMatchObject({ name: 'Alice named it', priceCents: 900, stock: 0 });
    mallory.close();
    alice.destroy();
  });

  it("ID3: HTTP writes are made under the server's own client id and name the person; no client can write under that id", async () => {
    const doc = 'product:id3';
    const patched = await api(server, 'PATCH', `/api/docs/${doc}`, {
      token: token('hal', 'editor'),
      body: { name: 'Patched over HTTP' },
    });
    expect(patched.status).toBe(200);
    const watcher = connect(server, doc, token('w', 'viewer'));
    await synced(watcher);
    const { current } = readRegister(watcher.doc.getMap('r:name'));
    expect(current).toMatchObject({ value: 'Patched over HTTP', writer: 'hal' });
    const live = await server.hub.loaded(doc)!;
    expect(current!.slot).toBe(live.doc.clientID);
    expect(live.owners.ownerOf(live.doc.clientID)).toBe(SERVER_IDENTITY);

    const mallory = await attacker(server, doc, token('mallory', 'admin'));
    mallory.send(
      updateFrame(
        forgedPatch(watcher.doc, live.doc.clientID, { name: 'Server says so' }, 'mallory'),
      ),
    );
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.forgedIdentity);
    mallory.close();
    watcher.destroy();
  });
});
