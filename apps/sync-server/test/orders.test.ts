import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.js';
import type { ServerConfig } from '../src/config.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { SqliteReservationStore } from '../src/orders/sqliteReservationStore.js';
import type { PaymentProvider } from '../src/orders/paymentProvider.js';
import { startServer } from '../src/server.js';
import { testConfig } from '../src/config.js';
import { SECRET, api, startTestServer, tempDir, token, waitFor } from './helpers.js';

const editor = token('olga', 'editor');
const viewer = token('vic', 'viewer');
const FAST: Partial<ServerConfig> = {
  paymentLatencyMs: 5,
  paymentTimeoutMs: 400,
  orderSweepMs: 50,
};

let server: RunningServer;
beforeAll(async () => {
  server = await startTestServer({ config: FAST });
});
afterAll(async () => {
  await server.close();
});

async function product(s: RunningServer, id: string, stock: number, priceCents = 1_250) {
  const res = await api(s, 'PATCH', `/api/docs/product:${id}`, {
    token: editor,
    body: { name: `Product ${id}`, status: 'active', priceCents, stock: { delta: stock } },
  });
  expect(res.status).toBe(200);
}

async function draft(
  s: RunningServer,
  id: string,
  customer: string,
  lines: Record<string, [string, number]>,
) {
  const res = await api(s, 'PATCH', `/api/docs/order:${id}`, {
    token: editor,
    body: {
      customer,
      lines: {
        set: Object.fromEntries(
          Object.entries(lines).map(([lineId, [product, quantity]]) => [
            lineId,
            { product, quantity, unitPriceCents: 0, currency: 'EUR' },
          ]),
        ),
      },
    },
  });
  expect(res.status, res.text).toBe(200);
}

const place = (s: RunningServer, id: string, key: string | undefined = `place-${id}`) =>
  api(s, 'POST', `/api/orders/${id}/place`, {
    token: editor,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  });

async function orderJson(s: RunningServer, id: string) {
  return (await api(s, 'GET', `/api/docs/order:${id}`, { token: editor })).json;
}

async function statusReaches(s: RunningServer, id: string, status: string) {
  await waitFor(async () => (await orderJson(s, id)).status === status, `order ${id} ${status}`);
}

async function stockOf(s: RunningServer, id: string) {
  const res = await api(s, 'GET', `/api/stock?products=${id}`, { token: editor });
  return (res.json as unknown as { onHand: number; reserved: number; available: number }[])[0]!;
}

describe('placing an order (ORD2, SAGA1–SAGA2)', () => {
  it('success: reserved, paid, stock committed once; prices captured; every step in the history', async () => {
    await product(server, 'ok-lamp', 5, 1_999);
    await draft(server, 'ok-1', 'ACME', { a: ['ok-lamp', 2] });
    const placed = await place(server, 'ok-1');
    expect(placed.status).toBe(202);
    // Placed, and maybe already further on: the saga starts at once.
    expect(['placed', 'payment_requested', 'paid', 'stock_committed']).toContain(
      (placed.json.placement as { state: string }).state,
    );
    await statusReaches(server, 'ok-1', 'stock_committed');
    const order = await orderJson(server, 'ok-1');
    expect(order.lines).toEqual([
      { id: 'a', product: 'ok-lamp', quantity: 2, unitPriceCents: 1_999, currency: 'EUR' },
    ]);
    expect(await stockOf(server, 'ok-lamp')).toEqual({
      product: 'ok-lamp',
      onHand: 3,
      reserved: 0,
      available: 3,
    });
    // Placing again (the same key, or another) changes nothing.
    const again = await place(server, 'ok-1');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await place(server, 'ok-1', 'another-key')).json.placement).toMatchObject({
      state: 'stock_committed',
    });
    // Replayed and duplicate events of every step, and a resume, change nothing (SAGA3).
    for (const to of ['placed', 'payment_requested', 'paid', 'stock_committed'])
      server.saga.handle({
        id: `order:ok-1:replay-${to}`,
        doc: 'order:ok-1',
        seq: 1,
        user: '@server',
        ts: Date.now(),
        kind: 'patch',
        changes: [{ field: 'status', from: 'draft', to }],
      });
    await server.saga.drive('ok-1');
    await server.saga.resume();
    expect((await stockOf(server, 'ok-lamp')).onHand).toBe(3);
    expect(
      (await api(server, 'GET', '/api/orders/ok-1/placement', { token: editor })).json.placement,
    ).toMatchObject({ state: 'stock_committed' });
    const history = await api(server, 'GET', '/api/docs/order:ok-1/history', { token: editor });
    const statuses = (
      history.json.entries as { user: string; changes: { field: string; to: unknown }[] }[]
    )
      .flatMap((e) => e.changes.filter((c) => c.field === 'status').map((c) => [e.user, c.to]))
      .reverse();
    expect(statuses).toEqual([
      ['@server', 'placed'],
      ['@server', 'payment_requested'],
      ['@server', 'paid'],
      ['@server', 'stock_committed'],
    ]);
  });

  it('a declined payment releases the reservation and says why; placed again, it is charged afresh', async () => {
    await product(server, 'dc-desk', 4);
    await draft(server, 'dc-1', 'Please decline me', { a: ['dc-desk', 3] });
    expect((await place(server, 'dc-1')).status).toBe(202);
    await statusReaches(server, 'dc-1', 'released');
    expect((await orderJson(server, 'dc-1')).statusReason).toBe('Payment declined');
    expect(await stockOf(server, 'dc-desk')).toMatchObject({
      onHand: 4,
      reserved: 0,
      available: 4,
    });
    // The customer fixed, placed again (a new key): the first placement's decline does not stand.
    await draft(server, 'dc-1', 'Desk Co', { a: ['dc-desk', 3] });
    expect((await place(server, 'dc-1', 'place-dc-1-again')).status).toBe(202);
    await statusReaches(server, 'dc-1', 'stock_committed');
    expect(await stockOf(server, 'dc-desk')).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it('a payment that never answers times out, is refunded to be safe, and releases', async () => {
    await product(server, 'to-rug', 2);
    await draft(server, 'to-1', 'timeout co', { a: ['to-rug', 2] });
    expect((await place(server, 'to-1')).status).toBe(202);
    expect((await stockOf(server, 'to-rug')).available).toBe(0);
    await statusReaches(server, 'to-1', 'released');
    expect((await orderJson(server, 'to-1')).statusReason).toBe('Payment timed out');
    expect((await stockOf(server, 'to-rug')).available).toBe(2);
  });

  it('cancelling while the payment is pending releases; the order stays cancelled', async () => {
    await product(server, 'cx-vase', 3);
    await draft(server, 'cx-1', 'timeout and cancel', { a: ['cx-vase', 1] });
    await place(server, 'cx-1');
    await statusReaches(server, 'cx-1', 'payment_requested');
    const cancelled = await api(server, 'POST', '/api/orders/cx-1/cancel', { token: editor });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.placement).toMatchObject({ state: 'cancelled', reason: 'Cancelled' });
    expect((await stockOf(server, 'cx-vase')).available).toBe(3);
    expect((await place(server, 'cx-1', 'try-again')).status).toBe(409);
    expect((await api(server, 'POST', '/api/orders/ok-1/cancel', { token: editor })).status).toBe(
      409,
    );
    // Fulfilled once its stock left; never before, and once is enough.
    expect((await api(server, 'POST', '/api/orders/cx-1/fulfil', { token: editor })).status).toBe(
      409,
    );
    const fulfilled = await api(server, 'POST', '/api/orders/ok-1/fulfil', { token: editor });
    expect(fulfilled.json.placement).toMatchObject({ state: 'fulfilled' });
    expect((await orderJson(server, 'ok-1')).status).toBe('fulfilled');
    expect((await api(server, 'POST', '/api/orders/ok-1/fulfil', { token: editor })).status).toBe(
      200,
    );
    expect((await stockOf(server, 'ok-lamp')).onHand).toBe(3);
  });

  it('RES2 over HTTP: 50 concurrent placements for the last 10 units: exactly 10 reserved, 40 refused with 409', async () => {
    await product(server, 'last-one', 10);
    const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    // "timeout" customers: payments hang, so the reservations stay held while the race runs.
    for (const id of ids) await draft(server, id, 'timeout racer', { a: ['last-one', 1] });
    const answers = await Promise.all(ids.map((id) => place(server, id)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(10);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(40);
    expect(refused[0]!.json).toMatchObject({
      error: 'not enough stock for this order',
      lines: [{ product: 'last-one', requested: 1, available: 0 }],
    });
    expect(await stockOf(server, 'last-one')).toMatchObject({
      onHand: 10,
      reserved: 10,
      available: 0,
    });
  });

  it('is refused plainly: no key, a viewer, an empty order, the status written by a person', async () => {
    await draft(server, 'bad-1', 'x', {});
    expect((await place(server, 'bad-1', undefined)).status).toBe(400);
    expect(
      (
        await api(server, 'POST', '/api/orders/bad-1/place', {
          token: viewer,
          headers: { 'idempotency-key': 'k' },
        })
      ).status,
    ).toBe(403);
    const empty = await place(server, 'bad-1');
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatch(/at least one line/);
    const forged = await api(server, 'PATCH', '/api/docs/order:bad-1', {
      token: editor,
      body: { status: 'paid' },
    });
    expect(forged.status).toBe(400);
    expect((await orderJson(server, 'bad-1')).status).toBe('draft');
  });
});

describe('watching the saga (SAGA4)', () => {
  it('metrics: step durations, compensations by reason, orders per step and stuck', async () => {
    // Runs after the tests above: a success, a decline, a cancellation, and eleven payments that
    // time out (one alone, ten racers), once they have.
    await waitFor(async () => (await server.ledger.inProgress(100)).length === 0, 'sagas done');
    await server.saga.sweep();
    const text = (await api(server, 'GET', '/metrics')).text;
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(value(/concord_order_step_seconds_count\{step="paid"\} (\d+)/)).toBeGreaterThanOrEqual(
      1,
    );
    expect(value(/concord_order_compensations_total\{reason="Payment declined"\} (\d+)/)).toBe(1);
    expect(value(/concord_order_compensations_total\{reason="Cancelled"\} (\d+)/)).toBe(1);
    expect(value(/concord_order_compensations_total\{reason="Payment timed out"\} (\d+)/)).toBe(11);
    expect(value(/concord_orders_in_step\{step="payment_requested"\} (\d+)/)).toBe(0);
    expect(value(/concord_orders_stuck\{step="payment_requested"\} (\d+)/)).toBe(0);
  });
});

describe('the saga after a restart (SAGA3) and expiry (RES5)', () => {
  it('an order whose payment was in flight when the server stopped completes once on restart', async () => {
    const dir = tempDir();
    const never: PaymentProvider = {
      charge: () => new Promise(() => undefined),
      refund: async () => undefined,
    };
    const start = (payments: PaymentProvider) =>
      startServer(testConfig({ authSecret: SECRET, ...FAST, paymentTimeoutMs: 60_000 }), {
        store: new SqliteEventStore(`${dir.path}/log.db`),
        reservations: new SqliteReservationStore(`${dir.path}/orders.db`),
        payments,
      });
    const first = await start(never);
    await product(first, 'rs-lamp', 4);
    await draft(first, 'rs-1', 'ACME', { a: ['rs-lamp', 3] });
    await place(first, 'rs-1');
    await statusReaches(first, 'rs-1', 'payment_requested');
    await first.close();
    let charges = 0;
    const second = await start({
      charge: async () => {
        charges++;
        return 'paid';
      },
      refund: async () => undefined,
    });
    try {
      await statusReaches(second, 'rs-1', 'stock_committed');
      await second.saga.resume();
      expect(charges).toBe(1);
      expect(await stockOf(second, 'rs-lamp')).toMatchObject({ onHand: 1, reserved: 0 });
    } finally {
      await second.close();
      dir.remove();
    }
  });

  it('a reservation left unpaid past its time is released as expired', async () => {
    const s = await startTestServer({
      config: { ...FAST, reservationTtlMs: 100, paymentTimeoutMs: 60_000 },
    });
    try {
      await product(s, 'ex-stool', 1);
      await draft(s, 'ex-1', 'timeout, slowly', { a: ['ex-stool', 1] });
      await place(s, 'ex-1');
      await statusReaches(s, 'ex-1', 'released');
      expect((await orderJson(s, 'ex-1')).statusReason).toBe('Reservation expired');
      expect((await stockOf(s, 'ex-stool')).available).toBe(1);
    } finally {
      await s.close();
    }
  });
});
