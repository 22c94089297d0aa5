import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  ReasonCode,
  SERVER_IDENTITY,
  applyPatch,
  materialize,
  productKind,
  validateDocument,
  writeRegister,
} from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import {
  api,
  connect,
  startTestServer,
  synced,
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

const ctx = (writer: string, skewMs = 0) => ({
  clock: new HybridClock({
    replicaId: writer,
    physicalNow: () => Date.now() + skewMs,
    maxSkewMs: 10 * 86_400_000,
  }),
  writer,
});
const identical = (a: TestClient, b: TestClient) =>
  Buffer.from(Y.encodeStateAsUpdate(a.doc)).equals(Buffer.from(Y.encodeStateAsUpdate(b.doc))) ||
  (Y.encodeStateVector(a.doc).toString() === Y.encodeStateVector(b.doc).toString() &&
    JSON.stringify(materialize(a.doc, productKind, 'x')) ===
      JSON.stringify(materialize(b.doc, productKind, 'x')));

async function pair(doc: string) {
  const writer = connect(server, doc, token('wendy', 'editor'), { extensions: true });
  const other = connect(server, doc, token('oscar', 'editor'), { extensions: true });
  await Promise.all([synced(writer), synced(other)]);
  applyPatch(
    writer.doc,
    productKind,
    { name: 'Valid', priceCents: 500, currency: 'EUR', tags: { add: ['ok'] }, stock: { delta: 2 } },
    ctx('wendy'),
  );
  await waitFor(
    () => writer.saved() && materialize(other.doc, productKind, 'x').priceCents === 500,
    'seeded',
  );
  return { writer, other };
}

describe('validation by compensation', () => {
  it('COMP1: an invalid edit (negative price, unknown currency) is kept and compensated: every replica ends valid and identical', async () => {
    const { writer, other } = await pair('product:comp1');
    applyPatch(writer.doc, productKind, { priceCents: -100, currency: 'XXX1' }, ctx('wendy'));
    await waitFor(() => writer.errors.length > 0, 'error event to the writer');
    expect(writer.errors[0]).toMatchObject({ code: ReasonCode.invalidDocument });
    expect([...writer.errors[0]!.fields!].sort()).toEqual(['currency', 'priceCents']);
    expect(writer.errors[0]!.message).toMatch(/negative/);
    await waitFor(() => identical(writer, other) && writer.saved(), 'replicas identical');
    for (const c of [writer, other]) {
      const json = materialize(c.doc, productKind, 'comp1');
      expect(json).toMatchObject({ priceCents: 500, currency: 'EUR', name: 'Valid' });
      expect(validateDocument(productKind, json).ok).toBe(true);
    }
    expect(other.errors).toEqual([]);
    const server = await api(globalServer(), 'GET', '/api/docs/product:comp1', {
      token: token('x', 'viewer'),
    });
    expect(server.json).toMatchObject({ priceCents: 500, currency: 'EUR' });

    const history = await api(globalServer(), 'GET', '/api/docs/product:comp1/history', {
      token: token('x', 'viewer'),
    });
    const entries = history.json.entries as {
      kind: string;
      reason?: string;
      user: string;
      changes: { field: string; from: unknown; to: unknown }[];
    }[];
    // newest first: the compensation, then the edit it repairs
    const comp = entries[0]!;
    const bad = entries[1]!;
    expect(bad).toMatchObject({ kind: 'edit', user: 'wendy' });
    expect(bad.changes).toEqual(
      expect.arrayContaining([{ field: 'priceCents', from: 500, to: -100 }]),
    );
    expect(comp).toMatchObject({
      kind: 'compensation',
      reason: 'invalid_document',
      user: SERVER_IDENTITY,
    });
    expect(comp.changes).toEqual(
      expect.arrayContaining([
        { field: 'priceCents', from: -100, to: 500 },
        { field: 'currency', from: 'XXX1', to: 'EUR' },
      ]),
    );
    writer.destroy();
    other.destroy();
  });

  it('COMP2: invalid tags and oversized text are compensated element by element; valid concurrent parts stay', async () => {
    const { writer, other } = await pair('product:comp2');
    applyPatch(
      writer.doc,
      productKind,
      { tags: { add: ['fine', ' bad tag'] }, description: 'x'.repeat(20_001), name: 'Renamed' },
      ctx('wendy'),
    );
    await waitFor(
      () => writer.errors.length > 0 && identical(writer, other),
      'compensated and converged',
    );
    const json = materialize(other.doc, productKind, 'comp2');
    expect(json.tags).toEqual(['ok']);
    expect(json.description).toBe('');
    expect(json.name).toBe('Renamed');
    expect(validateDocument(productKind, json).ok).toBe(true);
    writer.destroy();
    other.destroy();
  });

  it("COMP3: fields left invalid by a document written before these rules (a log written behind the server's back) are repaired by the next edit, which is accepted", async () => {
    const doc = 'product:comp3';
    // A log the old server could produce: meta.schemaVersion 1.5 and two counter slots at
    // MAX_SAFE_INTEGER (their sum is not a safe integer): an invalid document.
    const legacy = new Y.Doc();
    legacy.transact(() => {
      legacy.getMap('meta').set('kind', 'product');
      legacy.getMap('meta').set('schemaVersion', 1.5);
      writeRegister(legacy.getMap('r:name'), 'Legacy', ctx('old').clock, 'old');
      legacy.getMap('c:stock').set('1', Number.MAX_SAFE_INTEGER);
      legacy.getMap('c:stock').set('2', Number.MAX_SAFE_INTEGER);
    });
    expect(validateDocument(productKind, materialize(legacy, productKind, 'x')).ok).toBe(false);
    await server.hub.store.append([
      {
        doc,
        entries: [
          {
            update: Y.encodeStateAsUpdate(legacy),
            user: 'old',
            ts: Date.now(),
            kind: 'edit',
            changes: [],
          },
        ],
      },
    ]);
    const writer = connect(server, doc, token('wendy', 'editor'), { extensions: true });
    await synced(writer);
    applyPatch(writer.doc, productKind, { name: 'Edited after the upgrade' }, ctx('wendy'));
    await waitFor(() => writer.saved(), 'the edit is accepted and saved');
    const json = materialize(writer.doc, productKind, 'comp3');
    await waitFor(
      () => validateDocument(productKind, materialize(writer.doc, productKind, 'comp3')).ok,
      'the writer holds a valid document',
    );
    expect(materialize(writer.doc, productKind, 'comp3')).toMatchObject({
      name: 'Edited after the upgrade',
      schemaVersion: productKind.schemaVersion,
      stock: 0,
    });
    expect(json.name).toBe('Edited after the upgrade');
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('x', 'viewer') });
    expect(validateDocument(productKind, read.json).ok).toBe(true);
    // and a PATCH of another field works too
    const patched = await api(server, 'PATCH', `/api/docs/${doc}`, {
      token: token('wendy', 'editor'),
      body: { priceCents: 1200 },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ priceCents: 1200, name: 'Edited after the upgrade' });
    writer.destroy();
  });

  it('COMP4: compensation is total: a merge no single update made invalid (30 + 30 tags) ends valid on every replica', async () => {
    const { writer, other } = await pair('product:comp4');
    // Both go offline, each adds 30 tags (each edit alone is valid), then they reconnect.
    writer.provider.disconnect();
    other.provider.disconnect();
    const tags = (p: string) =>
      Array.from({ length: 30 }, (_, i) => `${p}${String(i).padStart(2, '0')}`);
    applyPatch(writer.doc, productKind, { tags: { add: tags('w') } }, ctx('wendy'));
    applyPatch(other.doc, productKind, { tags: { add: tags('o') } }, ctx('oscar'));
    writer.provider.connect();
    other.provider.connect();
    await waitFor(
      () =>
        writer.saved() &&
        other.saved() &&
        identical(writer, other) &&
        validateDocument(productKind, materialize(writer.doc, productKind, 'x')).ok,
      'converged and valid',
    );
    expect((materialize(other.doc, productKind, 'x').tags as string[]).length).toBeLessThanOrEqual(
      50,
    );
    writer.destroy();
    other.destroy();
  });
});

function globalServer() {
  return server;
}
