/**
 * Schema versions on the server (SPEC MIG5–MIG7): documents stored at an older version are
 * migrated when loaded, and the migration is logged; an app that knows only an older version is
 * told to reload before it reads or writes; a document newer than the server is not written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  CloseCode,
  HybridClock,
  ReasonCode,
  SERVER_IDENTITY,
  applyPatch,
  materialize,
  productKind,
  writeRegister,
} from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { attacker, updateFrame } from './attacker.js';
import { api, connect, rawConnect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** A product as the version-1 app stored it: meta version 1, tags keyed by the tag. */
function v1Product(name: string, tags: string[]): Uint8Array {
  const doc = new Y.Doc();
  doc.transact(() => {
    doc.getMap('meta').set('kind', 'product');
    doc.getMap('meta').set('schemaVersion', 1);
    writeRegister(doc.getMap('r:name'), name, new HybridClock({ replicaId: 'v1' }), 'old');
    for (const tag of tags) doc.getMap('s:tags').set(tag, true);
  });
  return Y.encodeStateAsUpdate(doc);
}

async function seed(doc: string, update: Uint8Array): Promise<void> {
  const [r] = await server.hub.store.append([
    { doc, entries: [{ update, user: 'old', ts: Date.now(), kind: 'edit', changes: [] }] },
  ]);
  expect(r!.ok).toBe(true);
}

describe('schema versions', () => {
  it('MIG5: a document stored at version 1 is migrated on load, in the log as a migration by the server; its v1 tags read as before', async () => {
    const doc = 'product:mig-load';
    await seed(doc, v1Product('Old lamp', ['sale', 'wool']));
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json).toMatchObject({ name: 'Old lamp', tags: ['sale', 'wool'], schemaVersion: 2 });
    await waitFor(async () => (await server.hub.store.head(doc))!.seq === 2, 'migration logged');
    const [entry] = await server.hub.store.readLogBackwards(doc, Number.MAX_SAFE_INTEGER, 1);
    expect(entry).toMatchObject({ kind: 'migration', user: SERVER_IDENTITY });
    // an up-to-date client edits the migrated document: add-wins tags by writer
    const c = connect(server, doc, token('ann', 'editor'), { extensions: true });
    await synced(c);
    applyPatch(
      c.doc,
      productKind,
      { tags: { add: ['new'], remove: ['wool'] } },
      {
        clock: new HybridClock({ replicaId: 'ann' }),
        writer: 'ann',
      },
    );
    await waitFor(() => c.saved(), 'saved');
    const after = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(after.json.tags).toEqual(['new', 'sale']);
    c.destroy();
  });

  it('MIG6: an app that knows only version 1 is told to reload (4426, newer_schema) before it gets any document data', async () => {
    const doc = 'product:mig-old-app';
    await seed(doc, v1Product('Lamp', []));
    await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') }); // loads: migrates
    for (const query of ['concord=1', 'concord=1&schema=1']) {
      const raw = rawConnect(`${server.wsUrl}/${doc}?token=${token('ann', 'editor')}&${query}`);
      const closed = await raw.closed;
      expect(closed.code).toBe(CloseCode.upgradeRequired);
      expect(closed.reason).toMatch(/new version of Concord/);
      // only the error event (type 101), no sync data
      expect(raw.messages.every((m) => m[0] === 101)).toBe(true);
    }
    // a generic y-websocket client (no Concord opt-in) is not subject to app versions
    const plain = connect(server, doc, token('ben', 'viewer'));
    await synced(plain);
    expect(materialize(plain.doc, productKind, 'x').name).toBe('Lamp');
    plain.destroy();
  });

  it('MIG3: tag entries an older app queued offline (keyed by the tag) are accepted from the new app and read', async () => {
    const doc = 'product:mig-queued';
    const c = connect(server, doc, token('ann', 'editor'), { extensions: true });
    await synced(c);
    applyPatch(
      c.doc,
      productKind,
      { name: 'Queued' },
      {
        clock: new HybridClock({ replicaId: 'ann' }),
        writer: 'ann',
      },
    );
    await waitFor(() => c.saved(), 'saved');
    const before = Y.encodeStateVector(c.doc);
    c.doc.getMap('s:tags').set('legacy', true); // what the old app's addTag wrote
    const replay = await attacker(server, doc, token('ann', 'editor'));
    replay.send(updateFrame(Y.encodeStateAsUpdate(c.doc, before)));
    await waitFor(async () => {
      const r = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
      return (r.json.tags as string[]).includes('legacy');
    }, 'legacy entry accepted');
    expect(replay.errors).toEqual([]);
    replay.close();
    c.destroy();
  });

  it('MIG7: a document written by a newer server is read, but not written, by this one', async () => {
    const doc = 'product:mig-newer';
    const future = new Y.Doc();
    future.transact(() => {
      future.getMap('meta').set('kind', 'product');
      future.getMap('meta').set('schemaVersion', productKind.schemaVersion + 1);
      writeRegister(
        future.getMap('r:name'),
        'From the future',
        new HybridClock({ replicaId: 'f' }),
        'f',
      );
    });
    await seed(doc, Y.encodeStateAsUpdate(future));
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json.name).toBe('From the future');
    const patched = await api(server, 'PATCH', `/api/docs/${doc}`, {
      token: token('ann', 'editor'),
      body: { name: 'Overwritten by an old server' },
    });
    expect(patched.status).toBe(400);
    expect(patched.json.code).toBe(ReasonCode.newerSchema);
    expect((await server.hub.store.head(doc))!.seq).toBe(1);
  });
});
