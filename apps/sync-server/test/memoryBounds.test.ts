/**
 * Memory per document is bounded (SPEC MEM2–MEM4): updates that cannot be integrated are refused,
 * not buffered; reads of never-written documents load nothing; what a connection sends before
 * its document is loaded is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, ReasonCode } from '@concord/shared';
import type { RunningServer } from '../src/server.js';
import { MemoryEventStore } from '../src/store/memoryEventStore.js';
import { attacker, updateFrame } from './attacker.js';
import { api, connect, startTestServer, synced, token, waitFor } from './helpers.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ config: { maxDocBytes: 4 * 1024 * 1024 } });
});
afterAll(async () => {
  await server.close();
});

describe('bounded memory', () => {
  it('MEM2: 120 updates of 100 KB with clock gaps are refused, not kept; a fresh client receives none of them', async () => {
    const doc = 'product:mem-gaps';
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 240; i++)
      source.getText('t:description').insert(0, String(i % 10).repeat(100_000));
    const mallory = await attacker(server, doc, token('mallory', 'editor'));
    // Every other update: each one after a gap.
    for (let i = 1; i < 240; i += 2) mallory.send(updateFrame(updates[i]!));
    await waitFor(
      () => mallory.errors.length >= 120 || mallory.closeCode() !== undefined,
      'all answered',
      30_000,
    );
    expect(mallory.errors.every((e) => e.code === ReasonCode.missingDependencies)).toBe(true);
    const live = (await server.hub.loaded(doc))!;
    expect(live.doc.store.pendingStructs).toBeNull();
    expect(live.doc.store.pendingDs).toBeNull();
    expect(Y.encodeStateAsUpdate(live.doc).byteLength).toBeLessThan(1_000);
    const fresh = connect(server, doc, token('fay', 'viewer'));
    await synced(fresh);
    expect(Y.getState(fresh.doc.store, source.clientID)).toBe(0);
    fresh.destroy();
    mallory.close();
  });

  it('MEM2: an item whose origin exists nowhere is refused, and nothing of it is kept', async () => {
    const doc = 'product:mem-origin';
    const other = new Y.Doc();
    other.getText('t:description').insert(0, 'content the server never got');
    const mine = new Y.Doc();
    Y.applyUpdate(mine, Y.encodeStateAsUpdate(other));
    const before = Y.encodeStateVector(mine);
    mine.getText('t:description').insert(10, ' (my insertion)');
    const onlyMine = Y.encodeStateAsUpdate(mine, before);
    const mallory = await attacker(server, doc, token('mallory', 'editor'));
    mallory.send(updateFrame(onlyMine));
    await waitFor(() => mallory.errors.length > 0, 'refusal');
    expect(mallory.errors[0]!.code).toBe(ReasonCode.missingDependencies);
    expect((await server.hub.loaded(doc))!.doc.store.pendingStructs).toBeNull();
    mallory.close();
  });

  it('MEM3: reading documents nobody wrote loads none of them', async () => {
    const before = server.hub.loadedCount();
    const viewer = token('v', 'viewer');
    for (let i = 0; i < 300; i++) {
      const res = await api(server, 'GET', `/api/docs/product:never-${i}`, { token: viewer });
      expect(res.status).toBe(404);
    }
    expect(server.hub.loadedCount()).toBe(before);
  });

  it('MEM4: frames sent before the document has loaded are bounded: a flood is closed with 1013', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    class SlowStore extends MemoryEventStore {
      override async load(doc: string, atSeq?: number) {
        await gate;
        return super.load(doc, atSeq);
      }
    }
    const slow = await startTestServer({
      store: new SlowStore(),
      config: { maxMessagesPerSecond: 10_000 },
    });
    try {
      const { default: WebSocket } = await import('ws');
      const ws = new WebSocket(`${slow.wsUrl}/product:slow?token=${token('m', 'editor')}`);
      ws.on('error', () => {});
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise((resolve) => ws.once('open', resolve));
      const frame = updateFrame(new Uint8Array(1024));
      for (let i = 0; i < 1_000; i++) ws.send(frame);
      expect(await closed).toBe(CloseCode.tryAgainLater);
      release();
    } finally {
      release();
      await slow.close();
    }
  });
});
