import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import {
  CloseCode,
  MessageType,
  materialize,
  productKind,
  writeErrorEvent,
  writeSavedAck,
} from '@concord/shared';
import { MemoryStorage } from '../src/storage/memoryStorage';
import { StorageFullError } from '../src/storage/docStorage';
import { DocSession, type SessionDeps } from '../src/sync/docSession';
import { createOnlineManager } from '../src/sync/onlineManager';
import type { SessionUser } from '@concord/shared';
import type { SessionAuth } from '../src/sync/sessionAuth';
import { HybridClock } from '@concord/shared';

class NoSocket {
  constructor() {
    throw new Error('tests never open a socket');
  }
}

const sessions: DocSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.destroy()));
});

const closeEvent = (code: number) => ({ code, reason: 'token expired' }) as unknown as CloseEvent;

/** A session whose refresh answers `renews` and records calls. */
function fakeAuth(renews = false): SessionAuth & { refreshes: number } {
  let token = 't0';
  const listeners = new Set<(t: string) => void>();
  return {
    refreshes: 0,
    token: () => token,
    async refresh() {
      this.refreshes += 1;
      if (!renews) return false;
      token = `t${this.refreshes}`;
      for (const l of listeners) l(token);
      return true;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

function deps(
  storage: MemoryStorage,
  user: Partial<SessionUser> = {},
  auth: SessionAuth = fakeAuth(),
): SessionDeps {
  const online = createOnlineManager({
    events: new EventTarget(),
    navigatorOnline: () => false,
    probe: async () => false,
  });
  online.setOnline(false);
  return {
    storage,
    online,
    clock: new HybridClock({ replicaId: `t-${Math.random()}` }),
    user: { id: 'alice', name: 'Alice', role: 'editor', ...user },
    auth,
    wsUrl: 'ws://localhost:1',
    WebSocketPolyfill: NoSocket as unknown as typeof WebSocket,
  };
}

async function open(name: string, d: SessionDeps): Promise<DocSession> {
  const s = await DocSession.open(name, d);
  sessions.push(s);
  return s;
}

function feed(session: DocSession, type: number, write: (e: encoding.Encoder) => void) {
  const encoder = encoding.createEncoder();
  write(encoder);
  const decoder = decoding.createDecoder(encoding.toUint8Array(encoder));
  expect(decoding.readVarUint(decoder)).toBe(type);
  session.provider!.messageHandlers[type]!(
    encoding.createEncoder(),
    decoder,
    session.provider!,
    true,
    type,
  );
}

describe('DocSession', () => {
  it('stores edits locally first and reloads them, unsaved count included, without any network', async () => {
    const storage = new MemoryStorage();
    const a = await open('product:p1', deps(storage));
    expect(a.edit({ name: 'Lamp', stock: { delta: 4 } })).toEqual([]);
    expect(a.edit({ description: 'Warm light' })).toEqual([]);
    expect(a.store.getState().status).toBe('2 unsaved changes');
    await a.destroy();

    const b = await open('product:p1', deps(storage));
    expect(b.doc.getText('t:description').toString()).toBe('Warm light');
    expect(b.store.getState().status).toBe('2 unsaved changes');
    const meta = await storage.getMeta('product:p1');
    expect(meta?.summary).toMatchObject({ name: 'Lamp', stock: 4 });
  });

  it('rejects invalid patches without writing', async () => {
    const storage = new MemoryStorage();
    const s = await open('product:p2', deps(storage));
    expect(s.edit({ priceCents: -1 }).map((i) => i.field)).toEqual(['priceCents']);
    expect(await storage.countUpdates('product:p2')).toBe(0);
  });

  it('counts an edit as saved once a savedAck covers it, and keeps that across reloads', async () => {
    const storage = new MemoryStorage();
    const s = await open('product:p3', deps(storage));
    s.edit({ name: 'Mug' });
    feed(s, MessageType.savedAck, (e) => writeSavedAck(e, Y.encodeStateVector(s.doc), 12));
    expect(s.store.getState().unsaved).toBe(0);
    expect(s.store.getState().status).toBe('Offline');
    await s.destroy();
    const again = await open('product:p3', deps(storage));
    expect(again.store.getState().unsaved).toBe(0);
    expect((await storage.getMeta('product:p3'))?.version).toBe(12);
  });

  it('shows server error events', async () => {
    const s = await open('product:p4', deps(new MemoryStorage()));
    feed(s, MessageType.error, (e) =>
      writeErrorEvent(e, { code: 'invalid_document', message: 'bad sku', fields: ['sku'] }),
    );
    expect(s.store.getState().messages[0]?.event).toMatchObject({
      code: 'invalid_document',
      fields: ['sku'],
    });
  });

  it('is read-only for viewers and for other people’s profiles', async () => {
    const viewer = await open('product:p5', deps(new MemoryStorage(), { role: 'viewer' }));
    expect(viewer.readOnlyReason).toMatch(/viewer/);
    expect(() => viewer.edit({ name: 'x' })).toThrow();
    const other = await open('profile:bob', deps(new MemoryStorage()));
    expect(other.readOnlyReason).toMatch(/bob/);
    const own = await open('profile:alice', deps(new MemoryStorage()));
    expect(own.readOnlyReason).toBeUndefined();
  });

  it('two tabs share edits through the tab channel while offline', async () => {
    const storage = new MemoryStorage();
    const tab1 = await open('product:p6', deps(storage));
    const tab2 = await open('product:p6', deps(storage));
    tab1.edit({ description: 'from tab one' });
    await expect.poll(() => tab2.doc.getText('t:description').toString()).toBe('from tab one');
    tab2.edit({ stock: { delta: 2 } });
    await expect.poll(() => tab1.doc.getMap('c:stock').size).toBe(1);
  });

  it('AUTH7: a connection closed because its token expired renews the token and uses it from then on', async () => {
    const auth = fakeAuth(true);
    const s = await open('product:p7', deps(new MemoryStorage(), {}, auth));
    expect(s.provider!.params.token).toBe('t0');
    s.provider!.emit('connection-close', [closeEvent(CloseCode.sessionExpired), s.provider!]);
    await expect.poll(() => auth.refreshes).toBe(1);
    await expect.poll(() => s.provider!.params.token).toBe('t1');
    expect(s.store.getState().fatal).toBeUndefined();
  });

  it('AUTH7: when the session cannot be renewed, unsaved edits stay on the device and the person is told how many', async () => {
    const auth = fakeAuth(false);
    const s = await open('product:p8', deps(new MemoryStorage(), {}, auth));
    s.edit({ name: 'Offline one' });
    s.edit({ name: 'Offline two' });
    s.provider!.emit('connection-close', [closeEvent(CloseCode.sessionExpired), s.provider!]);
    await expect
      .poll(() => s.store.getState().fatal)
      .toBe('Sign in again to save 2 changes: they are kept on this device until then.');
    expect(s.store.getState().unsaved).toBe(2);
  });

  it('MIG1: a document stored by an older app version is migrated on open, and the migration is saved like an edit', async () => {
    const storage = new MemoryStorage();
    const old = new Y.Doc();
    old.getMap('meta').set('kind', 'product');
    old.getMap('meta').set('schemaVersion', 1);
    old.getMap('s:tags').set('sale', true); // the v1 layout
    await storage.appendUpdate('product:p9', Y.encodeStateAsUpdate(old));
    const s = await open('product:p9', deps(storage));
    expect(s.doc.getMap('meta').get('schemaVersion')).toBe(productKind.schemaVersion);
    expect(materialize(s.doc, productKind, 'p9').tags).toEqual(['sale']);
    expect(s.store.getState().unsaved).toBe(1);
    expect(s.store.getState().upgradeRequired).toBeUndefined();
  });

  it('MIG2: a document from a newer app version is left as it is and read-only, with a reload notice; so is one the server says is newer (4426)', async () => {
    const storage = new MemoryStorage();
    const newer = new Y.Doc();
    newer.getMap('meta').set('kind', 'product');
    newer.getMap('meta').set('schemaVersion', productKind.schemaVersion + 1);
    await storage.appendUpdate('product:p10', Y.encodeStateAsUpdate(newer));
    const s = await open('product:p10', deps(storage));
    expect(s.doc.getMap('meta').get('schemaVersion')).toBe(productKind.schemaVersion + 1);
    expect(s.store.getState().upgradeRequired).toMatch(/new version of Concord/);
    expect(() => s.edit({ name: 'x' })).toThrow(/new version/);

    const other = await open('product:p11', deps(new MemoryStorage()));
    other.edit({ name: 'Kept on this device' });
    other.provider!.emit('connection-close', [
      closeEvent(CloseCode.upgradeRequired),
      other.provider!,
    ]);
    await expect.poll(() => other.store.getState().upgradeRequired).toMatch(/reload/);
    expect(other.store.getState().unsaved).toBe(1);
    expect(other.provider!.params.schema).toBe(String(productKind.schemaVersion));
  });

  it('a write refused for a full disk is stored with the next one: reopened offline, both edits are there and unsaved', async () => {
    const storage = new MemoryStorage();
    let full = false;
    const append = storage.appendUpdate.bind(storage);
    storage.appendUpdate = (doc, update, change) =>
      full ? Promise.reject(new StorageFullError()) : append(doc, update, change);
    const s = await open('product:full', deps(storage));
    s.edit({ name: 'Stored' });
    full = true;
    s.edit({ sku: 'LOST-1' });
    await expect.poll(() => s.store.getState().storageError).toMatch(/out of storage/);
    full = false;
    s.edit({ priceCents: 1234 });
    await expect.poll(() => s.store.getState().storageError).toBeUndefined();

    const reopened = await open('product:full', deps(storage));
    expect(materialize(reopened.doc, productKind, 'full')).toMatchObject({
      name: 'Stored',
      sku: 'LOST-1',
      priceCents: 1234,
    });
    expect(reopened.store.getState().unsaved).toBe(3);
  });

  // Edits relayed between tabs (DERIVE1): stored and counted by every tab until acknowledged.
  it('an edit made in tab A is stored and counted as unsaved by tab B too', async () => {
    const storage = new MemoryStorage();
    const a = await open('product:relay', deps(storage));
    const b = await open('product:relay', deps(storage));
    // A first edit (its structs start at clock 0), then a second one (they do not).
    expect(a.edit({ name: 'First' })).toEqual([]);
    await expect.poll(() => b.store.getState().unsaved, { timeout: 2_000 }).toBeGreaterThan(0);
    expect(a.edit({ name: 'From tab A' })).toEqual([]);
    await expect.poll(() => String(b.doc.getMap('r:name').size), { timeout: 2_000 }).not.toBe('0');
    await expect.poll(() => b.store.getState().unsaved, { timeout: 2_000 }).toBe(2);
    expect(b.store.getState().status).toMatch(/unsaved change/);
    // Both tabs recorded the edits in the one database: each is listed once.
    await expect
      .poll(async () => (await storage.getMeta('product:relay'))?.pending.length, {
        timeout: 2_000,
      })
      .toBe(2);
    const reopened = await open('product:relay', deps(storage));
    expect(reopened.store.getState().unsaved).toBe(2);
  });

  it("tab B records tab A's unsaved edits in its own stored metadata (tab A may close first)", async () => {
    const storageA = new MemoryStorage();
    const storageB = new MemoryStorage();
    const a = await open('product:relay-own', deps(storageA));
    await open('product:relay-own', deps(storageB));
    expect(a.edit({ name: 'From tab A' })).toEqual([]);
    await expect
      .poll(async () => (await storageB.getMeta('product:relay-own'))?.pending.length ?? 0, {
        timeout: 2_000,
      })
      .toBeGreaterThan(0);
    const stored = await storageB.getMeta('product:relay-own');
    expect(stored?.pending).toEqual([[a.doc.clientID, Y.getState(a.doc.store, a.doc.clientID)]]);
    expect(stored?.summary).toMatchObject({ name: 'From tab A' });
  });
});
