/**
 * One contract for every ReservationStore (SPEC RES1–RES6): the SQLite and PostgreSQL ledgers run
 * the same suite (reservationStore.test.ts). `open(n)` gives `n` stores over the same ledger — for
 * PostgreSQL, as if on `n` server instances.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OnHand, ReservationStore } from '../src/orders/reservationStore.js';

const HOUR = 3_600_000;

const pause = () => new Promise((r) => setTimeout(r, Math.random() * 3));

/**
 * On-hand from a plain map that the test changes. It is read, then answered after a pause, as a
 * document read over the network would be: a ledger that let a commit or another placement slip
 * in between would decide on a stale figure.
 */
function stock(initial: Record<string, number>): { onHand: OnHand; level: Map<string, number> } {
  const level = new Map(Object.entries(initial));
  return {
    level,
    onHand: async (products) => {
      const read = new Map(products.map((p) => [p, level.get(p) ?? 0]));
      await pause();
      return read;
    },
  };
}

/** Pays an order that was placed (the saga's steps, straight). */
async function pay(s: ReservationStore, order: string, now: number): Promise<void> {
  await s.transition(order, ['placed'], 'payment_requested', undefined, now);
  await s.transition(order, ['payment_requested'], 'paid', undefined, now);
}

const reservationsOf = async (s: ReservationStore, order: string) =>
  (await s.record(order))?.reservations ?? [];

export function runReservationStoreContract(
  label: string,
  open: (instances: number) => Promise<ReservationStore[]>,
): void {
  describe(`ReservationStore contract: ${label}`, () => {
    let stores: ReservationStore[] = [];
    afterEach(async () => {
      for (const s of stores) await s.close();
      stores = [];
    });

    it('SAGA2: the terms given when placing are kept with the order, and replaced by a new placement', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand } = stock({ lamp: 5 });
      const line = { id: 'l1', product: 'lamp', unitPriceCents: 900, currency: 'EUR' };
      const terms = {
        amountCents: 2_700,
        currency: 'EUR',
        customer: 'Kiosk “Ünter” 7',
        lines: [{ ...line, quantity: 3 }],
      };
      await s.reserve('o1', [{ product: 'lamp', quantity: 3 }], onHand, 1_000, HOUR, terms);
      expect((await s.record('o1'))?.terms).toEqual(terms);
      await s.transition('o1', ['placed'], 'released', 'Payment declined', 1_001);
      const again = { ...terms, amountCents: 900, lines: [{ ...line, quantity: 1 }] };
      await s.reserve('o1', [{ product: 'lamp', quantity: 1 }], onHand, 1_002, HOUR, again);
      expect((await s.record('o1'))?.terms).toEqual(again);
      await s.reserve('o2', [{ product: 'lamp', quantity: 1 }], onHand, 1_003, HOUR);
      expect((await s.record('o2'))?.terms).toBeUndefined();
    });

    it('RES1–RES2: all lines or none; a refusal gives every line with what is available', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand } = stock({ lamp: 5, desk: 2 });
      const first = await s.reserve('o1', [{ product: 'lamp', quantity: 3 }], onHand, 1_000, HOUR);
      expect(first).toMatchObject({ ok: true, replayed: false });
      const refused = await s.reserve(
        'o2',
        [
          { product: 'lamp', quantity: 2 },
          { product: 'desk', quantity: 3 },
        ],
        onHand,
        1_001,
        HOUR,
      );
      expect(refused).toEqual({
        ok: false,
        lines: [
          { product: 'desk', requested: 3, available: 2 },
          { product: 'lamp', requested: 2, available: 2 },
        ],
      });
      // Nothing of the refused order was kept.
      expect(await s.record('o2')).toBeUndefined();
      expect(await s.record('o1')).toMatchObject({ state: 'placed', updatedAt: 1_000 });
      expect(await s.reserved(['lamp', 'desk'])).toEqual(
        new Map([
          ['lamp', 3],
          ['desk', 0],
        ]),
      );
      // One product named twice counts once, summed.
      const twice = await s.reserve(
        'o3',
        [
          { product: 'lamp', quantity: 1 },
          { product: 'lamp', quantity: 1 },
        ],
        onHand,
        1_002,
        HOUR,
      );
      expect(twice.ok && twice.record.reservations.map((r) => [r.product, r.quantity])).toEqual([
        ['lamp', 2],
      ]);
      await expect(
        s.reserve('o4', [{ product: 'lamp', quantity: 0 }], onHand, 1_003, HOUR),
      ).rejects.toThrow(/at least 1/);
    });

    it('RES3: placing an order again reserves nothing more', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand } = stock({ lamp: 10 });
      await s.reserve('o1', [{ product: 'lamp', quantity: 4 }], onHand, 1_000, HOUR);
      const again = await s.reserve('o1', [{ product: 'lamp', quantity: 4 }], onHand, 2_000, HOUR);
      expect(again).toMatchObject({ ok: true, replayed: true });
      expect((await s.reserved(['lamp'])).get('lamp')).toBe(4);
      expect((await reservationsOf(s, 'o1'))[0]).toMatchObject({
        state: 'active',
        createdAt: 1_000,
      });
    });

    it('RES4: releasing gives the units back once and says why; a released order may be placed again, a cancelled one not', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand } = stock({ lamp: 3 });
      await s.reserve('o1', [{ product: 'lamp', quantity: 3 }], onHand, 1_000, HOUR);
      expect(
        (await s.reserve('o2', [{ product: 'lamp', quantity: 1 }], onHand, 1_001, HOUR)).ok,
      ).toBe(false);
      await s.transition('o1', ['placed'], 'payment_requested', undefined, 1_100);
      const released = await s.transition(
        'o1',
        ['placed', 'payment_requested'],
        'released',
        'Payment declined',
        1_500,
      );
      expect(released).toMatchObject({ state: 'released', reason: 'Payment declined' });
      expect(released?.reservations).toMatchObject([
        { product: 'lamp', quantity: 3, state: 'released', reason: 'Payment declined' },
      ]);
      expect(
        await s.transition('o1', ['placed', 'payment_requested'], 'cancelled', 'x', 1_600),
      ).toBeUndefined();
      expect((await s.reserved(['lamp'])).get('lamp')).toBe(0);
      const again = await s.reserve('o1', [{ product: 'lamp', quantity: 2 }], onHand, 2_000, HOUR);
      expect(again).toMatchObject({ ok: true, replayed: false, record: { state: 'placed' } });
      expect((await s.reserved(['lamp'])).get('lamp')).toBe(2);
      await s.transition('o1', ['placed', 'payment_requested'], 'cancelled', 'Cancelled', 2_100);
      const cancelled = await s.reserve(
        'o1',
        [{ product: 'lamp', quantity: 1 }],
        onHand,
        2_200,
        HOUR,
      );
      expect(cancelled).toMatchObject({ ok: true, replayed: true, record: { state: 'cancelled' } });
      expect((await s.reserved(['lamp'])).get('lamp')).toBe(0);
    });

    it('RES5: orders whose reservations ran out of time are listed for release', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand } = stock({ lamp: 9 });
      await s.reserve('early', [{ product: 'lamp', quantity: 1 }], onHand, 1_000, 10_000);
      await s.reserve('late', [{ product: 'lamp', quantity: 1 }], onHand, 5_000, 10_000);
      await s.reserve('gone', [{ product: 'lamp', quantity: 1 }], onHand, 1_000, 10_000);
      await s.transition('gone', ['placed'], 'cancelled', 'Cancelled', 2_000);
      await s.reserve('paid', [{ product: 'lamp', quantity: 1 }], onHand, 1_000, 10_000);
      await pay(s, 'paid', 2_000);
      expect(await s.expired(10_999, 10)).toEqual([]);
      expect(await s.expired(11_000, 10)).toEqual(['early']);
      expect(await s.expired(20_000, 10)).toEqual(['early', 'late']);
      expect(await s.expired(20_000, 1)).toEqual(['early']);
      expect(await s.inProgress(10)).toEqual(expect.arrayContaining(['early', 'late', 'paid']));
      expect(await s.inProgress(10)).toHaveLength(3);
      // No document shows any of them yet; once one does, only a later state brings it back.
      expect((await s.unprojected(10)).sort()).toEqual(['early', 'gone', 'late', 'paid']);
      await s.projected('gone', 'cancelled');
      await s.projected('paid', 'placed');
      expect((await s.unprojected(10)).sort()).toEqual(['early', 'late', 'paid']);
      await s.projected('paid', 'paid');
      expect((await s.unprojected(10)).sort()).toEqual(['early', 'late']);
      // early and late placed at 1,000 and 5,000; paid at 2,000: stuck before 3,000 are two.
      expect((await s.progress(3_000)).sort((a, b) => (a.state < b.state ? -1 : 1))).toEqual([
        { state: 'paid', count: 1, stuck: 1 },
        { state: 'placed', count: 2, stuck: 1 },
      ]);
    });

    it('RES6: a commit takes the units off on-hand once, before they stop counting as reserved', async () => {
      stores = await open(1);
      const [s] = stores as [ReservationStore];
      const { onHand, level } = stock({ lamp: 5, desk: 4 });
      await s.reserve(
        'o1',
        [
          { product: 'lamp', quantity: 2 },
          { product: 'desk', quantity: 1 },
        ],
        onHand,
        1_000,
        HOUR,
      );
      const decrements: string[] = [];
      const decrement = async (lines: readonly { product: string; quantity: number }[]) => {
        for (const l of lines) {
          decrements.push(`${l.product}-${l.quantity}`);
          level.set(l.product, level.get(l.product)! - l.quantity);
        }
      };
      // Only a paid order's stock is committed.
      expect(await s.commit('o1', 1_500, decrement)).toBeUndefined();
      await pay(s, 'o1', 1_600);
      const committed = await s.commit('o1', 2_000, decrement);
      expect(committed?.state).toBe('stock_committed');
      expect(committed?.reservations.map((r) => [r.product, r.state])).toEqual([
        ['desk', 'committed'],
        ['lamp', 'committed'],
      ]);
      expect(await s.commit('o1', 2_001, decrement)).toBeUndefined();
      expect(
        await s.transition('o1', ['placed', 'payment_requested'], 'cancelled', 'x', 2_002),
      ).toBeUndefined();
      expect(decrements).toEqual(['desk-1', 'lamp-2']);
      expect(await s.reserved(['lamp', 'desk'])).toEqual(
        new Map([
          ['lamp', 0],
          ['desk', 0],
        ]),
      );
      // A decrement that fails leaves the order paid and reserved: the step runs again later.
      await s.reserve('o2', [{ product: 'lamp', quantity: 1 }], onHand, 3_000, HOUR);
      await pay(s, 'o2', 3_000);
      await expect(
        s.commit('o2', 3_001, async () => {
          throw new Error('crashed mid-step');
        }),
      ).rejects.toThrow('crashed mid-step');
      expect(await s.record('o2')).toMatchObject({
        state: 'paid',
        reservations: [{ state: 'active' }],
      });
    });

    it('SAGA1: a payment and an expiry racing for one order: exactly one wins', async () => {
      stores = await open(2);
      const { onHand } = stock({ lamp: 100 });
      for (let i = 0; i < 20; i++) {
        const order = `duel-${i}`;
        await stores[0]!.reserve(order, [{ product: 'lamp', quantity: 1 }], onHand, 1_000, HOUR);
        await stores[0]!.transition(order, ['placed'], 'payment_requested', undefined, 1_001);
        const [paid, expired] = await Promise.all([
          stores[i % stores.length]!.transition(
            order,
            ['payment_requested'],
            'paid',
            undefined,
            1_002,
          ),
          stores[(i + 1) % stores.length]!.transition(
            order,
            ['placed', 'payment_requested'],
            'released',
            'Reservation expired',
            1_002,
          ),
        ]);
        expect([paid, expired].filter(Boolean)).toHaveLength(1);
        const record = await stores[0]!.record(order);
        expect(record?.reservations[0]?.state).toBe(paid ? 'active' : 'released');
      }
    });

    it('RES2: 50 orders racing for the last 10 units reserve exactly 10, on every instance at once, while paid orders are committed', async () => {
      stores = await open(3);
      // 20 on hand, 10 of them reserved by five orders that get paid during the race: their
      // commits take 10 off on-hand and 10 off the reservations, so 10 stay available throughout.
      const { onHand, level } = stock({ last: 20, other: 100 });
      for (let p = 0; p < 5; p++) {
        await stores[0]!.reserve(
          `paid-${p}`,
          [{ product: 'last', quantity: 2 }],
          onHand,
          500,
          HOUR,
        );
        await pay(stores[0]!, `paid-${p}`, 600);
      }
      const commits = Array.from({ length: 5 }, (_, p) =>
        stores[p % stores.length]!.commit(`paid-${p}`, 900, async (lines) => {
          await pause();
          for (const l of lines) level.set(l.product, level.get(l.product)! - l.quantity);
          await pause();
        }),
      );
      const racing = Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          stores[i % stores.length]!.reserve(
            `race-${i}`,
            // Half the orders also take another product, named first: one lock order for all.
            i % 2
              ? [
                  { product: 'other', quantity: 1 },
                  { product: 'last', quantity: 1 },
                ]
              : [{ product: 'last', quantity: 1 }],
            onHand,
            1_000 + i,
            HOUR,
          ),
        ),
      );
      const [results] = await Promise.all([racing, Promise.all(commits)]);
      expect(level.get('last')).toBe(10);
      const won = results.filter((r) => r.ok);
      expect(won).toHaveLength(10);
      for (const r of results.filter((r) => !r.ok))
        expect(r).toMatchObject({
          lines: expect.arrayContaining([{ product: 'last', requested: 1, available: 0 }]),
        });
      // The ledger, read back, agrees with the answers.
      const [s] = stores as [ReservationStore];
      expect((await s.reserved(['last'])).get('last')).toBe(10);
      let otherUnits = 0;
      for (let i = 0; i < 50; i++) {
        const rows = await reservationsOf(s, `race-${i}`);
        expect(rows.length > 0).toBe(results[i]!.ok);
        otherUnits += rows.filter((r) => r.product === 'other').length;
      }
      expect((await s.reserved(['other'])).get('other')).toBe(otherUnits);
    });
  });
}
