import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  ReasonCode,
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
    const bad = entries.at(-2)!;
    const comp = entries.at(-1)!;
    expect(bad).toMatchObject({ kind: 'edit', user: 'wendy' });
    expect(bad.changes).toEqual(
      expect.arrayContaining([{ field: 'priceCents', from: 500, to: -100 }]),
    );
    expect(comp).toMatchObject({
      kind: 'compensation',
      reason: 'invalid_document',
      user: 'server',
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

  it('COMP3 HLC3: a register write stamped a day ahead is compensated (clock_skew) and later honest writes still win', async () => {
    const { writer, other } = await pair('product:comp3');
    const future = {
      clock: new HybridClock({
        replicaId: 'liar',
        physicalNow: () => Date.now() + 86_400_000,
        maxSkewMs: 10 * 86_400_000,
      }),
      writer: 'wendy',
    };
    applyPatch(writer.doc, productKind, { name: 'From the future' }, future);
    await waitFor(
      () => writer.errors.some((e) => e.code === ReasonCode.clockSkew),
      'clock skew error',
    );
    expect(writer.errors.find((e) => e.code === ReasonCode.clockSkew)!.message).toMatch(
      /ahead of the server's clock/,
    );
    await waitFor(
      () => identical(writer, other) && materialize(other.doc, productKind, 'x').name === 'Valid',
      'restored',
    );
    applyPatch(other.doc, productKind, { name: 'Honest now' }, ctx('oscar'));
    await waitFor(
      () =>
        identical(writer, other) && materialize(writer.doc, productKind, 'x').name === 'Honest now',
      'honest write wins',
    );
    writer.destroy();
    other.destroy();
  });

  it('COMP4: junk written into a register by a buggy client changes nothing visible and needs no compensation', async () => {
    const { writer, other } = await pair('product:comp4');
    writer.doc.transact(() => {
      writer.doc.getMap('r:priceCents').set('not-a-slot', { v: -1 });
      writeRegister(writer.doc.getMap('r:name'), 'Still fine', ctx('wendy').clock, 'wendy');
    });
    await waitFor(() => writer.saved() && identical(writer, other), 'converged');
    expect(materialize(other.doc, productKind, 'x')).toMatchObject({
      priceCents: 500,
      name: 'Still fine',
    });
    expect(writer.errors).toEqual([]);
    writer.destroy();
    other.destroy();
  });
});

function globalServer() {
  return server;
}
