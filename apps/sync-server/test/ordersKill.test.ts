/**
 * kill -9 in the middle of order sagas (SAGA3, RES6), at arbitrary moments: many orders placed,
 * charged and committed while server processes are killed and restarted. Afterwards every placed
 * order has ended — stock committed, released or cancelled — nothing is reserved, the product's
 * stock went down by exactly the units of the committed orders, and the payment provider's books
 * hold exactly one charge kept for each committed order and none for the others: no unit or
 * payment taken twice, none lost, no order stuck. Once with a server running alone (SQLite),
 * once with three instances over PostgreSQL + Redis, one of them killed mid-flight.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChargeBook } from '../src/orders/chargeBook.js';
import { PostgresChargeBook } from '../src/orders/postgresChargeBook.js';
import { SqliteChargeBook } from '../src/orders/sqliteChargeBook.js';
import { api, tempDir, token, waitFor } from './helpers.js';
import { freePort, healthy, kill9, spawnServer, killedAfterEach } from './childServer.js';
import {
  DATABASE_URL,
  REDIS_URL,
  dropRedisPrefix,
  dropSchema,
  uniqueName,
} from './scaleHelpers.js';

const editor = token('kim', 'editor');
const children = killedAfterEach();

const ENV = {
  PAYMENT_LATENCY_MS: '120',
  PAYMENT_DECLINE_RATE: '0.3',
  PAYMENT_TIMEOUT_MS: '3000',
  ORDER_SWEEP_MS: '200',
};
const TERMINAL = ['stock_committed', 'released', 'cancelled'];
const PRODUCT = 'kill-lamp';

interface Order {
  readonly id: string;
  readonly quantity: number;
  readonly customer: string;
}

const orders: Order[] = Array.from({ length: 24 }, (_, i) => ({
  id: `kill-${i}`,
  quantity: 1 + (i % 3),
  customer: i % 7 === 0 ? 'decline please' : `Customer ${i}`,
}));

type Server = { url: string };

async function draft(server: Server): Promise<void> {
  const res = await api(server, 'PATCH', `/api/docs/product:${PRODUCT}`, {
    token: editor,
    body: { name: 'Lamp', status: 'active', priceCents: 900, stock: { delta: 100 } },
  });
  expect(res.status).toBe(200);
  for (const o of orders) {
    const line = { product: PRODUCT, quantity: o.quantity, unitPriceCents: 0, currency: 'EUR' };
    const body = { customer: o.customer, lines: { set: { a: line } } };
    expect(
      (await api(server, 'PATCH', `/api/docs/order:${o.id}`, { token: editor, body })).status,
    ).toBe(200);
  }
}

const place = (server: Server, o: Order) =>
  api(server, 'POST', `/api/orders/${o.id}/place`, {
    token: editor,
    headers: { 'idempotency-key': `k-${o.id}` },
  });

/** Every order ended, once: stock, reservations, documents and the provider's books agree. */
async function accounted(server: Server, books: ChargeBook): Promise<void> {
  const placement = async (id: string) =>
    (await api(server, 'GET', `/api/orders/${id}/placement`, { token: editor })).json.placement as {
      state: string;
    } | null;
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
  const paid = new Set<string>();
  for (const o of orders) {
    const p = await placement(o.id);
    if (p?.state === 'stock_committed') {
      committed += o.quantity;
      paid.add(`order:${o.id}`);
    }
    // The document says what the ledger decided.
    await waitFor(
      async () =>
        (await api(server, 'GET', `/api/docs/order:${o.id}`, { token: editor })).json.status ===
        p?.state,
      `order ${o.id} document is ${p?.state}`,
    );
  }
  expect(committed).toBeGreaterThan(0);
  const stock = await api(server, 'GET', `/api/stock?products=${PRODUCT}`, { token: editor });
  expect(stock.json).toEqual([
    { product: PRODUCT, onHand: 100 - committed, reserved: 0, available: 100 - committed },
  ]);
  try {
    const kept = (await books.entries()).filter((e) => e.outcome === 'paid' && !e.refunded);
    // Keys are `order:<id>:<placement>`: one kept charge per committed order.
    expect(kept.map((e) => e.key.replace(/:\d+$/, '')).sort()).toEqual([...paid].sort());
  } finally {
    await books.close();
  }
}

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
      await draft(server);
      // Placements in flight, then kill -9 at two moments of the sagas.
      const placing = orders.map((o) => place(server, o).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 150));
      await kill9(children.at(-1)!);
      await Promise.all(placing);
      await start();
      // Place again whatever the kill interrupted (same keys: an answered one is replayed).
      await Promise.all(orders.map((o) => place(server, o)));
      await new Promise((r) => setTimeout(r, 100));
      await kill9(children.at(-1)!);
      await start();
      await accounted(server, new SqliteChargeBook(join(dir.path, 'payments.db')));
    } finally {
      for (const c of children.splice(0)) await kill9(c);
      dir.remove();
    }
  });

  it('SAGA3 in scale-out: three instances, one killed mid-saga; the others finish its orders exactly once', async () => {
    const [schema, prefix] = [uniqueName('concord_kill'), `${uniqueName('kill')}:`];
    const dir = tempDir();
    const env = { ...ENV, DATABASE_URL, REDIS_URL, DATABASE_SCHEMA: schema, REDIS_PREFIX: prefix };
    const servers: Server[] = [];
    const processes: ChildProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const port = await freePort();
        const server = { url: `http://127.0.0.1:${port}` };
        spawnServer(port, dir.path, env, (c) => {
          children.push(c);
          processes.push(c);
        });
        await healthy(server.url);
        servers.push(server);
      }
      await draft(servers[0]!);
      // Placements spread over the instances; the first instance dies while they run.
      const placing = orders.map((o, i) => place(servers[i % 3]!, o).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 150));
      await kill9(processes[0]!);
      await Promise.all(placing);
      // Whoever got no answer places again on a live instance, with the same key.
      await Promise.all(orders.map((o, i) => place(servers[1 + (i % 2)]!, o)));
      await accounted(
        servers[1]!,
        await PostgresChargeBook.connect({ connectionString: DATABASE_URL, schema }),
      );
    } finally {
      for (const c of children.splice(0)) await kill9(c);
      dir.remove();
      await dropSchema(schema);
      await dropRedisPrefix(prefix);
    }
  });
});
