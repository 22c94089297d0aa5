/**
 * The trust rules hold across instances, on the real PostgreSQL and Redis (SPEC PG2–PG4, SO5,
 * SO6, ID1): ordinary odd input is stored, idempotency keys work, merges of valid edits made on
 * different instances are validated, If-Match compares with the log, and client-id ownership is
 * known to every instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  ReasonCode,
  applyPatch,
  materialize,
  productKind,
  validateDocument,
} from '@concord/shared';
import type { ScaleOutServer } from '../src/scale/scaleOut.js';
import { attacker, updateFrame } from './attacker.js';
import { api, connect, synced, token, waitFor, type TestClient } from './helpers.js';
import { dropRedisPrefix, dropSchema, startInstance, uniqueName } from './scaleHelpers.js';

const schema = uniqueName('concord_test');
const prefix = `${uniqueName('concord_test')}:`;
let a: ScaleOutServer;
let b: ScaleOutServer;

const start = () => startInstance(schema, prefix);

beforeAll(async () => {
  a = await start();
  b = await start();
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
});

const edit = (c: TestClient, patch: Parameters<typeof applyPatch>[2]) =>
  applyPatch(c.doc, productKind, patch, {
    clock: new HybridClock({ replicaId: c.user }),
    writer: c.user,
  });
const json = (c: TestClient) => materialize(c.doc, productKind, 'x');

describe('odd input on PostgreSQL', () => {
  it('PG2: a name holding NUL and a lone surrogate is stored like any other, and the other document of the same commit too', async () => {
    const odd = connect(a, 'product:pg-odd', token('ann', 'editor'), { extensions: true });
    const plain = connect(a, 'product:pg-plain', token('ann', 'editor'), { extensions: true });
    await Promise.all([synced(odd), synced(plain)]);
    edit(odd, { description: 'nul \u0000 and \ud800 lone' });
    edit(plain, { name: 'Plain neighbour' });
    await waitFor(() => odd.saved() && plain.saved(), 'both saved');
    const history = await api(b, 'GET', '/api/docs/product:pg-odd/history', {
      token: token('v', 'viewer'),
    });
    expect(history.status).toBe(200);
    const read = await api(b, 'GET', '/api/docs/product:pg-plain', { token: token('v', 'viewer') });
    expect(read.json.name).toBe('Plain neighbour');
    odd.destroy();
    plain.destroy();
  });

  it('PG4: PATCH with an Idempotency-Key works on PostgreSQL, and a repeat is a replay', async () => {
    const headers = { 'idempotency-key': 'order:42/attempt\\1 ünïcode-free' };
    const body = { stock: { delta: 3 } };
    const first = await api(a, 'PATCH', '/api/docs/product:pg-idem', {
      token: token('e', 'editor'),
      body,
      headers,
    });
    expect(first.status).toBe(200);
    const again = await api(b, 'PATCH', '/api/docs/product:pg-idem', {
      token: token('e', 'editor'),
      body,
      headers,
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json.stock).toBe(3);
  });
});

describe('merges across instances', () => {
  it('SO6: 30 + 30 tags added on two instances at once end valid everywhere, compensated exactly once', async () => {
    const doc = 'product:so6';
    const onA = connect(a, doc, token('ann', 'editor'), { extensions: true });
    const onB = connect(b, doc, token('ben', 'editor'), { extensions: true });
    await Promise.all([synced(onA), synced(onB)]);
    const tags = (p: string) =>
      Array.from({ length: 30 }, (_, i) => `${p}${String(i).padStart(2, '0')}`);
    edit(onA, { tags: { add: tags('a') } });
    edit(onB, { tags: { add: tags('b') } });
    await waitFor(
      () =>
        onA.saved() &&
        onB.saved() &&
        JSON.stringify(json(onA)) === JSON.stringify(json(onB)) &&
        validateDocument(productKind, json(onA)).ok,
      'converged and valid',
    );
    // Give any second (duplicate) compensation time to show up in the log before counting.
    await waitFor(async () => {
      const head = (await a.store.head(doc))!.seq;
      const live = await a.hub.loaded(doc)!;
      const other = await b.hub.loaded(doc)!;
      return live.version === head && other.version === head;
    }, 'both instances hold the whole log');
    const log = await a.store.readLog(doc, 0, 100);
    expect(log.filter((e) => e.kind === 'compensation')).toHaveLength(1);
    expect((json(onA).tags as string[]).length).toBeLessThanOrEqual(50);
    onA.destroy();
    onB.destroy();
  });

  it('SO5: If-Match is compared with the log, not with a lagging copy', async () => {
    const doc = 'product:so5';
    const editor = token('e', 'editor');
    await api(a, 'PATCH', `/api/docs/${doc}`, { token: editor, body: { name: 'v1' } });
    // b loads the document now, then a writes again
    expect((await api(b, 'GET', `/api/docs/${doc}`, { token: editor })).json.name).toBe('v1');
    const second = await api(a, 'PATCH', `/api/docs/${doc}`, {
      token: editor,
      body: { name: 'v2' },
    });
    const version = Number(String(second.headers.get('etag')).replaceAll('"', ''));
    const onB = await api(b, 'PATCH', `/api/docs/${doc}`, {
      token: editor,
      body: { name: 'v3 from b' },
      headers: { 'if-match': `"${version}"` },
    });
    expect(onB.status).toBe(200);
    const stale = await api(b, 'PATCH', `/api/docs/${doc}`, {
      token: editor,
      body: { name: 'stale' },
      headers: { 'if-match': `"${version}"` },
    });
    expect(stale.status).toBe(412);
    expect((await api(a, 'GET', `/api/docs/${doc}`, { token: editor })).json.name).toBe(
      'v3 from b',
    );
  });

  it('ID1: a client id written on one instance is its user’s on every instance', async () => {
    const doc = 'product:so-id';
    const alice = connect(a, doc, token('alice', 'editor'), { extensions: true });
    const watcher = connect(b, doc, token('w', 'viewer'));
    await Promise.all([synced(alice), synced(watcher)]);
    edit(alice, { name: 'Alice on a' });
    await waitFor(() => alice.saved() && json(watcher).name === 'Alice on a', 'relayed to b');
    const mallory = await attacker(b, doc, token('mallory', 'editor'));
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(alice.doc));
    forged.clientID = alice.doc.clientID;
    const before = Y.encodeStateVector(forged);
    applyPatch(
      forged,
      productKind,
      { name: 'Mallory on b' },
      { clock: new HybridClock({ replicaId: 'm' }), writer: 'alice' },
    );
    mallory.send(updateFrame(Y.encodeStateAsUpdate(forged, before)));
    await waitFor(() => mallory.errors.length > 0, 'refused on b');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.forgedIdentity);
    expect(watcher.closes).toEqual([]); // refused before it touched b's copy: nobody was disconnected
    mallory.close();
    alice.destroy();
    watcher.destroy();
  });
  it('SO7: a client that moves to an instance lagging the log is caught up, not refused, though it carries other people’s content', async () => {
    const doc = 'product:so7';
    const lagging = await start();
    try {
      const watcher = connect(lagging, doc, token('w', 'viewer'));
      await synced(watcher); // the document is loaded there…
      await lagging.hub.fanOut.close(); // …and from now on that instance hears nothing live
      const yan = connect(a, doc, token('yan', 'editor'), { extensions: true });
      const xia = connect(a, doc, token('xia', 'editor'), { extensions: true });
      await Promise.all([synced(yan), synced(xia)]);
      edit(yan, { description: 'Yan wrote this.' });
      await waitFor(() => yan.saved() && json(xia).description === 'Yan wrote this.', 'xia has it');
      // Xia goes offline, edits on top of Yan's text, and comes back through the lagging instance.
      xia.provider.disconnect();
      edit(xia, { description: 'Yan wrote this. Xia added this.' });
      const moved = connect(lagging, doc, token('xia', 'editor'), {
        extensions: true,
        doc: xia.doc,
      });
      await waitFor(() => moved.saved(), 'saved through the lagging instance');
      expect(moved.errors).toEqual([]);
      const read = await api(a, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
      expect(read.json.description).toBe('Yan wrote this. Xia added this.');
      moved.destroy();
      yan.destroy();
      watcher.destroy();
    } finally {
      await lagging.close();
    }
  });
});
