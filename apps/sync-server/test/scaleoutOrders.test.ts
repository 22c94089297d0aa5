/**
 * Orders across three instances over PostgreSQL and Redis (RES2, SAGA1–SAGA3): placements on
 * every instance at once never reserve more than is on hand, and a paid order's stock leaves
 * once although every instance sees its change events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScaleOutServer } from '../src/scale/scaleOut.js';
import { api, token, waitFor } from './helpers.js';
import { dropRedisPrefix, dropSchema, startInstance, uniqueName } from './scaleHelpers.js';

const schema = uniqueName('concord_orders');
const prefix = `${uniqueName('concord_orders')}:`;
const editor = token('olga', 'editor');
const servers: ScaleOutServer[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) servers.push(await startInstance(schema, prefix));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await dropSchema(schema);
  await dropRedisPrefix(prefix);
});

const on = (i: number) => servers[i % servers.length]!;

async function patch(i: number, doc: string, body: unknown) {
  const res = await api(on(i), 'PATCH', `/api/docs/${doc}`, { token: editor, body });
  expect(res.status, res.text).toBe(200);
}

const line = (product: string, quantity: number) => ({
  set: { a: { product, quantity, unitPriceCents: 0, currency: 'EUR' } },
});

describe('orders on three instances', () => {
  it('RES2: 50 placements for the last 10 units, spread over the instances: exactly 10 reserved', async () => {
    await patch(0, 'product:so-last', {
      name: 'Last ones',
      status: 'active',
      stock: { delta: 10 },
    });
    const ids = Array.from({ length: 50 }, (_, i) => `so-race-${i}`);
    for (const [i, id] of ids.entries())
      await patch(i, `order:${id}`, { customer: 'timeout racer', lines: line('so-last', 1) });
    const answers = await Promise.all(
      ids.map((id, i) =>
        api(on(i + 1), 'POST', `/api/orders/${id}/place`, {
          token: editor,
          headers: { 'idempotency-key': `place-${id}` },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(40);
    for (const s of servers) {
      const stock = await api(s, 'GET', '/api/stock?products=so-last', { token: editor });
      expect(stock.json).toEqual([{ product: 'so-last', onHand: 10, reserved: 10, available: 0 }]);
    }
  });

  it('SAGA1–SAGA3: a paid order, seen by every instance, takes its units off once', async () => {
    await patch(0, 'product:so-lamp', { name: 'Lamp', status: 'active', stock: { delta: 7 } });
    await patch(1, 'order:so-paid', { customer: 'ACME', lines: line('so-lamp', 3) });
    const placed = await api(on(2), 'POST', '/api/orders/so-paid/place', {
      token: editor,
      headers: { 'idempotency-key': 'so-paid' },
    });
    expect(placed.status).toBe(202);
    for (const s of servers)
      await waitFor(
        async () =>
          (await api(s, 'GET', '/api/docs/order:so-paid', { token: editor })).json.status ===
          'stock_committed',
        'order committed on every instance',
      );
    // Every instance drives it again: nothing more happens.
    await Promise.all(servers.map((s) => s.saga.drive('so-paid')));
    for (const s of servers) {
      const product = await api(s, 'GET', '/api/docs/product:so-lamp', { token: editor });
      expect(product.json.stock).toBe(4);
    }
    // The saga's events went through its consumer group: each to one instance.
    let handled = 0;
    for (const s of servers) {
      const text = (await api(s, 'GET', '/metrics')).text;
      const m = /concord_consumer_events_total\{group="order-saga",outcome="applied"\} (\d+)/.exec(
        text,
      );
      handled += Number(m?.[1] ?? 0);
    }
    expect(handled).toBeGreaterThanOrEqual(4); // placed, payment requested, paid, stock committed
  });
});
