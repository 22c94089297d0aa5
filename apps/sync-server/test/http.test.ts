import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { materialize, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
const editor = token('eve', 'editor');
beforeAll(async () => {
  // Snapshots every 2 entries, so reads and time travel cross snapshot boundaries.
  server = await startTestServer({ config: { snapshotEvery: 2 } });
});
afterAll(async () => {
  await server.close();
});

describe('HTTP API', () => {
  it('HTTP1: a document never written is 404; PATCH creates it and returns the JSON with its version as ETag', async () => {
    expect((await api(server, 'GET', '/api/docs/product:h1', { token: editor })).status).toBe(404);
    const res = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: editor,
      body: { name: 'Lamp', priceCents: 4500, tags: { add: ['home'] }, stock: { delta: 4 } },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.json).toMatchObject({
      kind: 'product',
      id: 'h1',
      name: 'Lamp',
      priceCents: 4500,
      tags: ['home'],
      stock: 4,
    });
    const get = await api(server, 'GET', '/api/docs/product:h1', { token: editor });
    expect(get.json).toEqual(res.json);
    expect(get.headers.get('etag')).toBe('"1"');
  });

  it('HTTP2: invalid input is 400 with per-field errors and changes nothing', async () => {
    const bad = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: editor,
      body: { priceCents: -1, currency: 'EURO', nope: 1 },
    });
    expect(bad.status).toBe(400);
    const fields = (bad.json.issues as { field: string; message: string }[])
      .map((i) => i.field)
      .sort();
    expect(fields).toEqual(['currency', 'nope', 'priceCents']);
    const tooMany = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: editor,
      body: { tags: { add: Array.from({ length: 60 }, (_, i) => `t${i}`) } },
    });
    expect(tooMany.status).toBe(400);
    expect((tooMany.json.issues as { field: string }[])[0]!.field).toBe('tags');
    const get = await api(server, 'GET', '/api/docs/product:h1', { token: editor });
    expect(get.headers.get('etag')).toBe('"1"');
    expect(get.json.priceCents).toBe(4500);
    expect(
      (await api(server, 'PATCH', '/api/docs/product:h1', { token: editor, body: '[' })).status,
    ).toBe(400);
  });

  it('HTTP3: If-Match with an old version → 412 and nothing applied; with the current version → 200', async () => {
    const stale = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: editor,
      body: { name: 'Stale' },
      headers: { 'if-match': '"0"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.json.version).toBe(1);
    const fresh = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: editor,
      body: { name: 'Fresh' },
      headers: { 'if-match': '"1"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe('"2"');
    expect((await api(server, 'GET', '/api/docs/product:h1', { token: editor })).json.name).toBe(
      'Fresh',
    );
  });

  it('HTTP4: a repeated Idempotency-Key returns the first response and applies nothing twice', async () => {
    const send = () =>
      api(server, 'PATCH', '/api/docs/product:h1', {
        token: editor,
        body: { stock: { delta: 10 } },
        headers: { 'idempotency-key': 'receive-123' },
      });
    const first = await send();
    const [second, third] = await Promise.all([send(), send()]);
    expect(first.status).toBe(200);
    expect(first.json.stock).toBe(14);
    for (const again of [second, third]) {
      expect(again.status).toBe(200);
      expect(again.json).toEqual(first.json);
      expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect((await api(server, 'GET', '/api/docs/product:h1', { token: editor })).json.stock).toBe(
      14,
    );
    // the same key from another user is a different request
    const other = await api(server, 'PATCH', '/api/docs/product:h1', {
      token: token('fay', 'editor'),
      body: { stock: { delta: 1 } },
      headers: { 'idempotency-key': 'receive-123' },
    });
    expect(other.json.stock).toBe(15);
  });

  it('HTTP5: history lists who changed which fields from what to what, when', async () => {
    const res = await api(server, 'GET', '/api/docs/product:h1/history', {
      token: token('v', 'viewer'),
    });
    expect(res.status).toBe(200);
    const entries = (
      res.json.entries as {
        seq: number;
        user: string;
        kind: string;
        time: string;
        changes: { field: string; from: unknown; to: unknown }[];
      }[]
    ).reverse(); // the API pages newest first
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(res.json.next).toBeNull();
    expect(entries[0]).toMatchObject({ user: 'eve', kind: 'patch' });
    expect(entries[0]!.changes).toEqual(
      expect.arrayContaining([
        { field: 'name', from: 'Untitled product', to: 'Lamp' },
        { field: 'stock', from: 0, to: 4 },
      ]),
    );
    expect(entries[1]!.changes).toEqual([{ field: 'name', from: 'Lamp', to: 'Fresh' }]);
    expect(entries[3]).toMatchObject({
      user: 'fay',
      changes: [{ field: 'stock', from: 14, to: 15 }],
    });
    expect(Date.parse(entries[0]!.time)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('HTTP6: time travel: ?at=<version> equals what a client saw at that version', async () => {
    const watcher = connect(server, 'product:h6', token('w', 'viewer'), { extensions: true });
    await synced(watcher);
    const seen = new Map<number, Record<string, unknown>>();
    const patches = [
      { name: 'One', priceCents: 100 },
      { description: 'first words' },
      { tags: { add: ['a', 'b'] } },
      { name: 'Two', description: 'first and more words' },
      { tags: { remove: ['a'] }, stock: { delta: -2 } },
    ];
    for (const [i, patch] of patches.entries()) {
      const res = await api(server, 'PATCH', '/api/docs/product:h6', {
        token: editor,
        body: patch,
      });
      expect(res.headers.get('etag')).toBe(`"${i + 1}"`);
      await waitFor(
        () =>
          JSON.stringify(materialize(watcher.doc, productKind, 'h6')) === JSON.stringify(res.json),
        `client sees version ${i + 1}`,
      );
      seen.set(i + 1, materialize(watcher.doc, productKind, 'h6'));
    }
    for (const [version, json] of seen) {
      const past = await api(server, 'GET', `/api/docs/product:h6?at=${version}`, {
        token: editor,
      });
      expect(past.status).toBe(200);
      expect(past.json).toEqual(json);
    }
    expect((await api(server, 'GET', '/api/docs/product:h6?at=99', { token: editor })).status).toBe(
      404,
    );
    expect(
      (await api(server, 'GET', '/api/docs/product:h6?at=abc', { token: editor })).status,
    ).toBe(400);
    watcher.destroy();
  });

  it('HTTP7: restore brings an old version back as a new forward edit, seen live by clients', async () => {
    const watcher = connect(server, 'product:h6', token('w', 'viewer'));
    await synced(watcher);
    const v2 = (await api(server, 'GET', '/api/docs/product:h6?at=2', { token: editor })).json;
    const res = await api(server, 'POST', '/api/docs/product:h6/restore', {
      token: editor,
      body: { version: 2 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"6"');
    expect(res.json).toEqual(v2);
    await waitFor(
      () => JSON.stringify(materialize(watcher.doc, productKind, 'h6')) === JSON.stringify(v2),
      'client sees the restore',
    );
    const history = await api(server, 'GET', '/api/docs/product:h6/history', { token: editor });
    const last = (history.json.entries as { kind: string; seq: number }[])[0]!;
    expect(last).toMatchObject({ kind: 'restore', seq: 6 });
    expect(
      (
        await api(server, 'POST', '/api/docs/product:h6/restore', {
          token: token('v', 'viewer'),
          body: { version: 1 },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api(server, 'POST', '/api/docs/product:h6/restore', {
          token: editor,
          body: { version: 50 },
        })
      ).status,
    ).toBe(404);
    watcher.destroy();
  });

  it('HTTP8: list, batched catch-up, health, readiness and metrics', async () => {
    const list = await api(server, 'GET', '/api/docs?kind=product', { token: editor });
    expect((list.json as unknown as { doc: string }[]).map((d) => d.doc)).toEqual(
      expect.arrayContaining(['product:h1', 'product:h6']),
    );
    const sync = await api(server, 'POST', '/api/sync', {
      token: editor,
      body: { docs: { 'product:h1': '', 'product:none': '' } },
    });
    const docs = sync.json.docs as Record<string, { update: string; version: number }>;
    expect(Object.keys(docs)).toEqual(['product:h1']);
    expect(docs['product:h1']!.version).toBe(4);
    expect((await api(server, 'GET', '/readyz')).json).toMatchObject({ ready: true });
    const metrics = await api(server, 'GET', '/metrics');
    expect(metrics.text).toMatch(/concord_append_seconds_bucket/);
    expect(metrics.text).toMatch(/concord_appended_entries_total \d+/);
  });

  it('HTTP8: the catch-up answer rebuilds the document, from nothing or from a state vector, for a short log and a long one', async () => {
    const catchUp = async (doc: string, sv: string) => {
      const res = await api(server, 'POST', '/api/sync', {
        token: editor,
        body: { docs: { [doc]: sv } },
      });
      return (res.json.docs as Record<string, { update: string }>)[doc]!.update;
    };
    const check = async (doc: string) => {
      const expected = (await api(server, 'GET', `/api/docs/${doc}`, { token: editor })).json;
      const replica = new Y.Doc();
      Y.applyUpdate(replica, Buffer.from(await catchUp(doc, ''), 'base64'));
      expect(materialize(replica, productKind, doc.slice('product:'.length))).toEqual(expected);
      // From the replica's state vector, after one more change: only what it lacks.
      expect(
        (
          await api(server, 'PATCH', `/api/docs/${doc}`, {
            token: editor,
            body: { sku: `CU-${doc.length}` },
          })
        ).status,
      ).toBe(200);
      const sv = Buffer.from(Y.encodeStateVector(replica)).toString('base64');
      const diff = Buffer.from(await catchUp(doc, sv), 'base64');
      Y.applyUpdate(replica, diff);
      const now = (await api(server, 'GET', `/api/docs/${doc}`, { token: editor })).json;
      expect(materialize(replica, productKind, doc.slice('product:'.length))).toEqual(now);
      expect(diff.byteLength).toBeLessThan(Y.encodeStateAsUpdate(replica).byteLength);
    };
    expect(
      (
        await api(server, 'PATCH', '/api/docs/product:cu-short', {
          token: editor,
          body: { name: 'Short' },
        })
      ).status,
    ).toBe(200);
    await check('product:cu-short');
    for (let i = 0; i < 12; i++)
      expect(
        (
          await api(server, 'PATCH', '/api/docs/product:cu-long', {
            token: editor,
            body: { name: `Long ${i}`, description: `text ${i} `.repeat(i + 1) },
          })
        ).status,
      ).toBe(200);
    await check('product:cu-long');
  });

  it('HTTP9: demo sign-in (DEMO_AUTH on) issues a token for a chosen name and role, under an id no account can have', async () => {
    const demo = await startTestServer({ config: { demoAuth: true } });
    const res = await api(demo, 'POST', '/api/auth/demo', {
      body: { name: 'Zoë Example', role: 'editor' },
    });
    expect(res.status).toBe(200);
    expect(res.json.user).toEqual({ id: 'demo-zo-example', name: 'Zoë Example', role: 'editor' });
    const tok = String(res.json.token);
    expect(
      (
        await api(demo, 'PATCH', '/api/docs/profile:demo-zo-example', {
          token: tok,
          body: { displayName: 'Zoë' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api(demo, 'POST', '/api/auth/demo', { body: { name: 'x', role: 'root' } })).status,
    ).toBe(400);
    await demo.close();
    const off = await startTestServer({ config: { demoAuth: false } });
    expect(
      (await api(off, 'POST', '/api/auth/demo', { body: { name: 'x', role: 'admin' } })).status,
    ).toBe(404);
    await off.close();
  });
});
