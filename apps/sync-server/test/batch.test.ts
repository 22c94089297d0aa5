/**
 * Updates a connection sent together are admitted one by one and committed as one entry (SPEC
 * PIPE3): one refused among them costs only itself, and a malformed one stops what follows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HybridClock, ReasonCode, applyPatch, materialize, productKind } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { startTestServer } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const mallory = { user: { id: 'mallory', role: 'editor' as const } };
const ctx = (writer: string) => ({ clock: new HybridClock({ replicaId: writer }), writer });

/** The update `fn` makes to `doc`. */
function edit(doc: Y.Doc, fn: () => void): Uint8Array {
  const before = Y.encodeStateVector(doc);
  fn();
  return Y.encodeStateAsUpdate(doc, before);
}

/** A product that ann wrote (so her client id is hers), and a copy of her document. */
async function annsProduct(name: string): Promise<Y.Doc> {
  const ann = new Y.Doc();
  const first = edit(ann, () => applyPatch(ann, productKind, { name: 'Lamp' }, ctx('ann')));
  const result = await server.hub.with(name, (live) =>
    server.hub.pipeline.submitUpdates(live, [first], { user: { id: 'ann', role: 'editor' } }),
  );
  expect(result.result.status).toBe('applied');
  return ann;
}

describe('updates sent together', () => {
  it('PIPE3: a forged update among good ones is refused alone; the good ones, one building on the other, are one entry', async () => {
    const name = 'product:batch-forged';
    const ann = await annsProduct(name);
    const m = new Y.Doc();
    const a = edit(m, () => applyPatch(m, productKind, { stock: { delta: 3 } }, ctx('mallory')));
    // Under ann's client id: a write in her name.
    const forged = edit(ann, () => applyPatch(ann, productKind, { name: 'Pwned' }, ctx('ann')));
    // Builds on `a` (the next clocks of mallory's client): admitted only after `a` is applied.
    const b = edit(m, () => applyPatch(m, productKind, { stock: { delta: 4 } }, ctx('mallory')));
    const headBefore = (await server.hub.store.head(name))!.seq;

    const batch = await server.hub.with(name, (live) =>
      server.hub.pipeline.submitUpdates(live, [a, forged, b], mallory),
    );

    expect(batch.refused.map((r) => r.code)).toEqual([ReasonCode.forgedIdentity]);
    expect(batch.behind).toEqual([]);
    expect(batch.result.status).toBe('applied');
    if (batch.result.status !== 'applied') return;
    expect(batch.result.entries).toHaveLength(1);
    expect(batch.result.entries[0]!.user).toBe('mallory');
    expect((await server.hub.store.head(name))!.seq).toBe(headBefore + 1);
    const json = await server.hub.with(name, async (live) => live.json());
    expect(json).toMatchObject({ name: 'Lamp', stock: 7 });
  });

  it('PIPE3: a malformed update stops the batch: what came before it is kept, nothing after it is taken', async () => {
    const name = 'product:batch-malformed';
    await annsProduct(name);
    const m = new Y.Doc();
    const a = edit(m, () => applyPatch(m, productKind, { stock: { delta: 2 } }, ctx('mallory')));
    const junk = new Uint8Array([0xff, 0xff, 0xff, 0x01]);
    const b = edit(m, () => applyPatch(m, productKind, { stock: { delta: 5 } }, ctx('mallory')));

    const batch = await server.hub.with(name, (live) =>
      server.hub.pipeline.submitUpdates(live, [a, junk, b], mallory),
    );

    expect(batch.refused.map((r) => r.code)).toEqual([ReasonCode.malformedUpdate]);
    expect(batch.result.status).toBe('applied');
    const json = await server.hub.with(name, async (live) => live.json());
    expect(json).toMatchObject({ name: 'Lamp', stock: 2 });
    // The document holds exactly what its log holds.
    const rebuilt = await server.hub.docAt(name, (await server.hub.store.head(name))!.seq);
    expect(materialize(rebuilt, productKind, 'x')).toMatchObject({ stock: 2 });
  });
});
