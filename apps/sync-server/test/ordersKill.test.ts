/**
 * kill -9 in the middle of order sagas (SAGA3, RES6): a server process placing, charging and
 * committing many orders is killed twice at arbitrary moments and restarted; afterwards every
 * placed order has ended — stock committed, released or cancelled — nothing is reserved, and the
 * product's stock went down by exactly the units of the committed orders: no unit taken twice,
 * none lost, no order stuck.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { api, tempDir, token, waitFor } from './helpers.js';
import { freePort, healthy, kill9, spawnServer } from './childServer.js';

const editor = token('kim', 'editor');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await kill9(c);
});

const ENV = {
  PAYMENT_LATENCY_MS: '120',
  PAYMENT_DECLINE_RATE: '0.3',
  PAYMENT_TIMEOUT_MS: '3000',
  ORDER_SWEEP_MS: '200',
};
const TERMINAL = ['stock_committed', 'released', 'cancelled'];

describe('orders and kill -9', () => {
  it('SAGA3: killed twice mid-saga, every order completes or compensates exactly once', async () => {
    const dir = tempDir();
    const port = await freePort();
    const server = { url: `http://127.0.0.1:${port}` };
    const start = async () => {
      spawnServer(port, dir.path, ENV, (c) => children.push(c));
      await healthy(server.url);
    };
    try {
      await start();
      const res = await api(server, 'PATCH', '/api/docs/product:kill-lamp', {
        token: editor,
        body: { name: 'Lamp', status: 'active', priceCents: 900, stock: { delta: 100 } },
      });
      expect(res.status).toBe(200);
      const orders = Array.from({ length: 24 }, (_, i) => ({
        id: `kill-${i}`,
        quantity: 1 + (i % 3),
        customer: i % 7 === 0 ? 'decline please' : `Customer ${i}`,
      }));
      for (const o of orders)
        expect(
          (
            await api(server, 'PATCH', `/api/docs/order:${o.id}`, {
              token: editor,
              body: {
                customer: o.customer,
                lines: {
                  set: {
                    a: {
                      product: 'kill-lamp',
                      quantity: o.quantity,
                      unitPriceCents: 0,
                      currency: 'EUR',
                    },
                  },
                },
              },
            })
          ).status,
        ).toBe(200);

      // Placements in flight, then kill -9 at two moments of the sagas.
      const placing = orders.map((o) =>
        api(server, 'POST', `/api/orders/${o.id}/place`, {
          token: editor,
          headers: { 'idempotency-key': `k-${o.id}` },
        }).catch(() => undefined),
      );
      await new Promise((r) => setTimeout(r, 150));
      await kill9(children.at(-1)!);
      await Promise.all(placing);
      await start();
      // Place again whatever the kill interrupted (same keys: an answered one is replayed).
      await Promise.all(
        orders.map((o) =>
          api(server, 'POST', `/api/orders/${o.id}/place`, {
            token: editor,
            headers: { 'idempotency-key': `k-${o.id}` },
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      await kill9(children.at(-1)!);
      await start();

      const placement = async (id: string) =>
        (await api(server, 'GET', `/api/orders/${id}/placement`, { token: editor })).json
          .placement as { state: string } | null;
      await waitFor(
        async () => {
          for (const o of orders) {
            const p = await placement(o.id);
            if (!p || !TERMINAL.includes(p.state)) return false;
          }
          return true;
        },
        'every order ended',
        30_000,
      );
      let committed = 0;
      for (const o of orders) {
        const p = await placement(o.id);
        if (p?.state === 'stock_committed') committed += o.quantity;
        // The document says what the ledger decided.
        await waitFor(
          async () =>
            (await api(server, 'GET', `/api/docs/order:${o.id}`, { token: editor })).json.status ===
            p?.state,
          `order ${o.id} document is ${p?.state}`,
        );
      }
      expect(committed).toBeGreaterThan(0);
      const stock = await api(server, 'GET', '/api/stock?products=kill-lamp', { token: editor });
      expect(stock.json).toEqual([
        { product: 'kill-lamp', onHand: 100 - committed, reserved: 0, available: 100 - committed },
      ]);
    } finally {
      for (const c of children.splice(0)) await kill9(c);
      dir.remove();
    }
  });
});
