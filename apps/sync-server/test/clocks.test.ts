/**
 * Clocks are bounded (SPEC HLC5–HLC7): a register stamp with an out-of-range counter, or a wall
 * time past the skew bound, is refused and never stored; a stamp just inside the bounds cannot
 * make later writers' stamps malformed; the server's own writes use a clock per document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  HybridClock,
  MAX_HLC_COUNTER,
  ReasonCode,
  applyPatch,
  materialize,
  productKind,
  readRegister,
} from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { attacker, updateFrame, type Attacker } from './attacker.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

const SKEW = 5 * 60_000;
let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ config: { maxSkewMs: SKEW } });
});
afterAll(async () => {
  await server.close();
});

/** Mallory writes her own name slot with the stamp she chooses. */
async function stampedWrite(
  doc: string,
  t: { wallMs: number; counter: number },
): Promise<Attacker> {
  const mallory = await attacker(server, doc, token('mallory', 'editor'));
  const mine = new Y.Doc();
  const before = Y.encodeStateVector(mine);
  mine.getMap('r:name').set(String(mine.clientID), {
    v: 'Mallory forever',
    t: { ...t, replicaId: 'mallory' },
    by: 'mallory',
  });
  mallory.send(updateFrame(Y.encodeStateAsUpdate(mine, before)));
  return mallory;
}

async function seed(doc: string): Promise<void> {
  const res = await api(server, 'PATCH', `/api/docs/${doc}`, {
    token: token('alice', 'editor'),
    body: { name: 'Honest name', priceCents: 700 },
  });
  expect(res.status).toBe(200);
}

describe('bounded clocks', () => {
  it('HLC6: a stamp with counter 2^53−1 is refused (clock_range) and never stored; the next writer wins as usual', async () => {
    const doc = 'product:hlc6a';
    await seed(doc);
    const head = (await server.hub.store.head(doc))!.seq;
    const mallory = await stampedWrite(doc, {
      wallMs: Date.now() + 4 * 60_000,
      counter: 2 ** 53 - 1,
    });
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.clockRange);
    expect((await server.hub.store.head(doc))!.seq).toBe(head);

    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    applyPatch(
      alice.doc,
      productKind,
      { name: 'Next write' },
      {
        clock: new HybridClock({ replicaId: 'alice' }),
        writer: 'alice',
      },
    );
    await waitFor(() => alice.saved(), 'saved');
    const read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json).toMatchObject({ name: 'Next write', priceCents: 700 });
    mallory.close();
    alice.destroy();
  });

  it('HLC6: a wall time past the skew bound is refused (clock_skew) and never stored', async () => {
    const doc = 'product:hlc6b';
    await seed(doc);
    const head = (await server.hub.store.head(doc))!.seq;
    const mallory = await stampedWrite(doc, { wallMs: Date.now() + SKEW + 60_000, counter: 0 });
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.clockSkew);
    expect(mallory.errors[0]!.message).toMatch(/ahead of the server's clock/);
    expect((await server.hub.store.head(doc))!.seq).toBe(head);
    mallory.close();
  });

  it('HLC7: a stamp at the very edge of every bound cannot reset fields: later writers, HTTP patches and restores on this and other documents all win with valid stamps', async () => {
    const doc = 'product:hlc7';
    await seed(doc);
    const edge = { wallMs: Date.now() + 4 * 60_000, counter: MAX_HLC_COUNTER };
    const mallory = await stampedWrite(doc, edge);
    await waitFor(
      async () =>
        (await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') })).json
          .name === 'Mallory forever',
      'accepted (it is within the bounds)',
    );
    // A browser whose clock sees that stamp, then writes.
    const alice = connect(server, doc, token('alice', 'editor'), { extensions: true });
    await synced(alice);
    const aliceClock = new HybridClock({ replicaId: 'alice' });
    applyPatch(
      alice.doc,
      productKind,
      { name: 'Alice after the edge' },
      { clock: aliceClock, writer: 'alice' },
    );
    await waitFor(() => alice.saved(), 'saved');
    const stamp = readRegister(alice.doc.getMap('r:name')).current!.stamp;
    expect(stamp.counter).toBeLessThanOrEqual(MAX_HLC_COUNTER);
    expect(stamp.wallMs).toBe(edge.wallMs + 1);
    let read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    expect(read.json).toMatchObject({ name: 'Alice after the edge', priceCents: 700 });

    // The server's own writes to this document.
    const patched = await api(server, 'PATCH', `/api/docs/${doc}`, {
      token: token('hal', 'editor'),
      body: { name: 'Patched after the edge' },
    });
    expect(patched.json).toMatchObject({ name: 'Patched after the edge', priceCents: 700 });
    const restored = await api(server, 'POST', `/api/docs/${doc}/restore`, {
      token: token('hal', 'editor'),
      body: { version: 1 },
    });
    expect(restored.json).toMatchObject({ name: 'Honest name', priceCents: 700 });

    // …and to another document: its clock was never moved by this one.
    const other = 'product:hlc7-other';
    await seed(other);
    const watcher = connect(server, other, token('w', 'viewer'));
    await synced(watcher);
    const otherStamp = readRegister(watcher.doc.getMap('r:name')).current!.stamp;
    expect(otherStamp.wallMs).toBeLessThan(Date.now() + 60_000);
    read = await api(server, 'GET', `/api/docs/${doc}`, { token: token('v', 'viewer') });
    const current = (read.json as { name: string }).name;
    await waitFor(
      () => materialize(alice.doc, productKind, 'x').name === current,
      'alice receives the restore',
    );
    mallory.close();
    alice.destroy();
    watcher.destroy();
  });
});
