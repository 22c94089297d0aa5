/**
 * The FanOut contract, written once and run against every implementation (in-process, Redis).
 * A factory makes `n` members of one deployment.
 */
import { describe, expect, it } from 'vitest';
import type { FanOut, RemoteEntry } from '../src/fanout/fanOut.js';
import type { LogEntry } from '../src/store/eventStore.js';
import { waitFor } from './helpers.js';

const entry = (doc: string, seq: number): LogEntry => ({
  doc,
  seq,
  update: new Uint8Array([seq & 255, 7, 7]),
  user: `user-${seq}`,
  ts: 1_700_000_000_000 + seq,
  kind: seq % 2 === 0 ? 'patch' : 'edit',
  changes: [],
});

interface Member {
  readonly fanOut: FanOut;
  readonly received: RemoteEntry[];
}

export function runFanOutContract(name: string, create: (n: number) => Promise<FanOut[]>): void {
  describe(`FanOut contract: ${name}`, () => {
    const members = async (n: number): Promise<Member[]> => {
      const fanOuts = await create(n);
      return Promise.all(
        fanOuts.map(async (fanOut) => {
          const received: RemoteEntry[] = [];
          await fanOut.start({ entry: (e) => received.push(e), resync: () => undefined });
          return { fanOut, received };
        }),
      );
    };
    const closeAll = (ms: Member[]) => Promise.all(ms.map((m) => m.fanOut.close()));

    it('FAN1: an entry published by one member reaches every other member intact, and not itself', async () => {
      const ms = await members(3);
      try {
        ms[0]!.fanOut.publish([entry('product:f1', 1)]);
        await waitFor(
          () => ms[1]!.received.length === 1 && ms[2]!.received.length === 1,
          'delivered',
        );
        for (const m of ms.slice(1)) {
          expect(m.received[0]).toMatchObject({
            doc: 'product:f1',
            seq: 1,
            user: 'user-1',
            kind: 'edit',
          });
          expect([...m.received[0]!.update]).toEqual([1, 7, 7]);
          expect(m.received[0]!.publishedAt).toBeGreaterThan(Date.now() - 60_000);
        }
        expect(ms[0]!.received).toEqual([]);
        expect(ms.every((m) => m.fanOut.shared)).toBe(true);
      } finally {
        await closeAll(ms);
      }
    });

    it("FAN2: one member's entries arrive in the order it published them", async () => {
      const ms = await members(2);
      try {
        for (let seq = 1; seq <= 50; seq++) ms[0]!.fanOut.publish([entry('product:f2', seq)]);
        await waitFor(() => ms[1]!.received.length === 50, 'all delivered');
        expect(ms[1]!.received.map((e) => e.seq)).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        expect(ms[1]!.received.map((e) => e.kind)).toEqual(
          Array.from({ length: 50 }, (_, i) => ((i + 1) % 2 === 0 ? 'patch' : 'edit')),
        );
      } finally {
        await closeAll(ms);
      }
    });

    it('FAN3: a closed member receives nothing more, and the others carry on', async () => {
      const ms = await members(3);
      try {
        await ms[2]!.fanOut.close();
        ms[0]!.fanOut.publish([entry('product:f3', 1)]);
        await waitFor(() => ms[1]!.received.length === 1, 'delivered to the open member');
        // a second entry through the same path, so a late delivery to the closed one would show
        ms[0]!.fanOut.publish([entry('product:f3', 2)]);
        await waitFor(() => ms[1]!.received.length === 2, 'second delivered');
        expect(ms[2]!.received).toEqual([]);
      } finally {
        await closeAll(ms);
      }
    });
  });
}
