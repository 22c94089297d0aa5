import { getHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HybridClock, applyPatch, productKind } from '@concord/shared';
import { connect, startTestServer, synced, token, waitFor } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** How many objects of class `name` this process's heap holds (from a heap snapshot). */
async function countObjects(name: string): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const [typeAt, nameAt, width] = [fields.indexOf('type'), fields.indexOf('name'), fields.length];
  const objectType = types[0].indexOf('object');
  let n = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width)
    if (
      snapshot.nodes[i + typeAt] === objectType &&
      snapshot.strings[snapshot.nodes[i + nameAt]!] === name
    )
      n += 1;
  return n;
}

describe('memory', () => {
  it.skipIf(!gc)('MEM1: memory stays flat across open/close cycles of many documents', async () => {
    const server = await startTestServer({ config: { idleUnloadMs: 1 } });
    try {
      const clock = new HybridClock({ replicaId: 'ann' });
      const cycle = async (round: number) => {
        for (let i = 0; i < 60; i++) {
          const c = connect(server, `product:mem${round}-${i}`, token('ann', 'editor'), {
            extensions: true,
          });
          await synced(c);
          applyPatch(
            c.doc,
            productKind,
            { name: `Doc ${i}`, description: 'x'.repeat(2_000), stock: { delta: 1 } },
            { clock, writer: 'ann' },
          );
          c.provider.awareness.setLocalStateField('user', { name: 'Ann' });
          await waitFor(() => c.saved(), 'saved');
          c.destroy();
        }
        await waitFor(() => server.hub.loadedCount() === 0, 'all unloaded');
      };
      const heap = async () => {
        for (let i = 0; i < 3; i++) {
          gc!();
          await new Promise((r) => setTimeout(r, 20));
        }
        return process.memoryUsage().heapUsed;
      };
      await cycle(0); // warm-up: code paths, caches, prepared statements
      const before = await heap();
      for (let round = 1; round <= 4; round++) await cycle(round);
      const after = await heap();
      // Measured: ~0.7 MB of noise; keeping each unloaded document alive adds ~4 MB.
      console.log(
        `[memory] heap before ${(before / 1e6).toFixed(1)} MB, after 240 more open/close cycles ${(after / 1e6).toFixed(1)} MB`,
      );
      expect(after - before).toBeLessThan(2.5 * 1024 * 1024);
      expect(server.hub.loadedCount()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('MEM6: a closed connection leaves no timer behind, however its token expiry differs from the others', async () => {
    const server = await startTestServer({ config: { idleUnloadMs: 1 } });
    try {
      const round = async (from: number) => {
        for (let i = from; i < from + 100; i++) {
          // Each token expires at another second: each connection's expiry timer has a
          // duration of its own, and Node keeps a timer list per duration.
          const c = connect(server, `product:expiry-${i}`, token('ann', 'viewer', 3_600 + i));
          await synced(c);
          c.destroy();
        }
        await waitFor(() => server.hub.loadedCount() === 0, 'all unloaded', 30_000);
      };
      await round(0); // warm-up
      const before = await countObjects('TimersList');
      // A running server always has some (its sweeps): the class is there to be counted.
      expect(before).toBeGreaterThan(0);
      await round(100);
      const after = await countObjects('TimersList');
      // Measured: +100 when each connection's cleared timer leaves its list behind, 0 otherwise.
      expect(after - before).toBeLessThan(10);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!gc)(
    'MEM7: an open document keeps nothing of its last write once the writer is answered',
    async () => {
      const server = await startTestServer({ config: { broadcastWindowMs: 1 } });
      try {
        const name = 'product:mem7';
        const live = await server.hub.acquire(name);
        const clock = new HybridClock({ replicaId: 'server' });
        const writer = { id: 'ann', role: 'editor' as const };
        const write = async (n: number) => {
          const result = await server.hub.pipeline.submitEdit(
            live,
            (origin) =>
              applyPatch(
                live.doc,
                productKind,
                { name: `Mug ${n}` },
                { clock, writer: 'ann' },
                origin,
              ),
            writer,
            'edit',
          );
          if (result.status !== 'applied') throw new Error(`write ${n}: ${result.status}`);
          // The entries the write committed, watched without being held.
          return new WeakRef(result.entries);
        };
        const first = await write(1);
        const last = await write(2);
        await live.settled();
        for (let i = 0; i < 3; i++) {
          gc!();
          await new Promise((r) => setTimeout(r, 20));
        }
        // Mutant check: with live.tail holding the write's result, the last one stays reachable.
        expect(first.deref()).toBeUndefined();
        expect(last.deref()).toBeUndefined();
        expect(live.json()).toMatchObject({ name: 'Mug 2' });
        server.hub.release(name);
      } finally {
        await server.close();
      }
    },
  );
});
