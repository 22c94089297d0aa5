/**
 * kill -9 at each named step of the order saga (SAGA3), one step at a time: a process started with
 * CONCORD_CRASH_AT=<step> dies by SIGKILL when it gets there; it is started again, unarmed, and
 * the order must end exactly once — stock taken off once or not at all, nothing left reserved,
 * money taken once for a committed order and never for a released one (the simulated provider's
 * books), the document showing the placed lines at their captured prices and the ledger's state.
 *
 * Twice: a server running alone (SQLite; its payment consumer is inside it, so every step kills
 * the server), and scale-out (PostgreSQL + Redis) with the payment consumer as a process of its
 * own — the server's steps kill the server while the payment process runs on, the payment steps
 * kill the payment process while the server runs on.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChargeBook } from '../src/orders/chargeBook.js';
import { PostgresChargeBook } from '../src/orders/postgresChargeBook.js';
import { SqliteChargeBook } from '../src/orders/sqliteChargeBook.js';
import {
  exited,
  freePort,
  freePorts,
  healthy,
  spawnServer,
  killedAfterEach,
} from './childServer.js';
import { api, tempDir, token, waitFor } from './helpers.js';
import {
  DATABASE_URL,
  REDIS_URL,
  dropRedisPrefix,
  dropSchema,
  uniqueName,
} from './scaleHelpers.js';

const editor = token('kim', 'editor');
const children = killedAfterEach();

const SERVER_STEPS = [
  'place:reserved',
  'saga:payment-requested',
  'saga:stock-settled',
  'saga:stock-committed',
];
const PAYMENT_STEPS = ['payment:answered', 'payment:recorded'];
const TIMING = { PAYMENT_LATENCY_MS: '50', ORDER_SWEEP_MS: '200', PAYMENT_TIMEOUT_MS: '5000' };

type Role = 'server' | 'payments';

/** A deployment whose processes can be started armed with a crash point, or not. */
interface Deployment {
  readonly url: string;
  start(role: Role, crashAt?: string): Promise<ChildProcess>;
  /** The process that runs `step`. */
  roleOf(step: string): Role;
  books(): Promise<ChargeBook>;
}

/**
 * Places an order with the deployment's `step` armed, lets the process die there, starts it again
 * and checks that the order ended exactly once.
 */
async function throughCrash(d: Deployment, step: string, declined = false): Promise<void> {
  const name = `${step.replace(':', '-')}${declined ? '-declined' : ''}`;
  const [product, order] = [`lamp-${name}`, `o-${name}`];
  const role = d.roleOf(step);
  const armed = await d.start(role, step);
  if (role !== 'server') await d.start('server');
  else if (d.roleOf('payment:answered') === 'payments') await d.start('payments');
  const put = (doc: string, body: unknown) =>
    api(d, 'PATCH', `/api/docs/${doc}`, { token: editor, body }).then((r) =>
      expect(r.status, r.text).toBe(200),
    );
  await put(`product:${product}`, {
    name: 'Lamp',
    status: 'active',
    priceCents: 900,
    stock: { delta: 10 },
  });
  await put(`order:${order}`, {
    customer: declined ? 'Please decline' : 'Kiosk 7',
    lines: { set: { l1: { product, quantity: 2, unitPriceCents: 0, currency: 'EUR' } } },
  });
  const place = () =>
    api(d, 'POST', `/api/orders/${order}/place`, {
      token: editor,
      headers: { 'idempotency-key': `place-${order}` },
    });
  await place().catch(() => undefined); // the answer dies with the server at place:reserved

  // It died where it was told to, by SIGKILL.
  expect((await exited(armed)).signal).toBe('SIGKILL');
  await d.start(role);
  // Whoever did not get an answer asks again, with the same key.
  expect([200, 202]).toContain((await place()).status);

  const end = declined ? 'released' : 'stock_committed';
  await waitFor(
    async () =>
      (
        (await api(d, 'GET', `/api/orders/${order}/placement`, { token: editor })).json
          ?.placement as { state: string } | null
      )?.state === end,
    `order ${order} ${end}`,
    20_000,
  );
  const doc = async () => (await api(d, 'GET', `/api/docs/order:${order}`, { token: editor })).json;
  await waitFor(async () => (await doc()).status === end, `the document says ${end}`);
  expect((await doc()).lines).toEqual([
    { id: 'l1', product, quantity: 2, unitPriceCents: 900, currency: 'EUR' },
  ]);
  const stock = await api(d, 'GET', `/api/stock?products=${product}`, { token: editor });
  const onHand = declined ? 10 : 8;
  expect(stock.json).toEqual([{ product, onHand, reserved: 0, available: onHand }]);
  const books = await d.books();
  try {
    const charges = (await books.entries()).filter((e) => e.key.startsWith(`order:${order}:`));
    const kept = charges.filter((c) => c.outcome === 'paid' && !c.refunded);
    expect(kept).toHaveLength(declined ? 0 : 1);
    if (!declined) expect(kept[0]).toMatchObject({ amountCents: 1_800, currency: 'EUR' });
  } finally {
    await books.close();
  }
}

describe('SAGA3: kill -9 at each step, a server running alone (SQLite)', () => {
  const dirs: { remove(): void }[] = [];
  afterAll(() => dirs.forEach((d) => d.remove()));

  const alone = async (): Promise<Deployment> => {
    const dir = tempDir();
    dirs.push(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      roleOf: () => 'server',
      async start(_role, crashAt) {
        const env = { ...TIMING, ...(crashAt ? { CONCORD_CRASH_AT: crashAt } : {}) };
        const child = spawnServer(port, dir.path, env, (c) => children.push(c));
        await healthy(url);
        return child;
      },
      books: async () => new SqliteChargeBook(join(dir.path, 'payments.db')),
    };
  };

  for (const step of [...SERVER_STEPS, ...PAYMENT_STEPS])
    it(`killed at ${step}: the order is committed once, and paid once`, async () => {
      await throughCrash(await alone(), step);
    });

  it('killed at payment:answered with a declined payment: released once, nothing charged', async () => {
    await throughCrash(await alone(), 'payment:answered', true);
  });
});

describe('SAGA3: kill -9 at each step, scale-out with a payment process of its own', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  const deployment = async (): Promise<Deployment> => {
    const [schema, prefix] = [uniqueName('concord_crash'), `${uniqueName('crash')}:`];
    cleanups.push(
      () => dropSchema(schema),
      () => dropRedisPrefix(prefix),
    );
    const dir = tempDir();
    cleanups.push(async () => dir.remove());
    const [port, paymentPort] = (await freePorts(2)) as [number, number];
    const url = `http://127.0.0.1:${port}`;
    const shared = {
      ...TIMING,
      DATABASE_URL,
      REDIS_URL,
      DATABASE_SCHEMA: schema,
      REDIS_PREFIX: prefix,
    };
    return {
      url,
      roleOf: (step) => (step.startsWith('payment:') ? 'payments' : 'server'),
      async start(role, crashAt) {
        const env = {
          ...shared,
          ...(crashAt ? { CONCORD_CRASH_AT: crashAt } : {}),
          ...(role === 'server'
            ? { PAYMENT_CONSUMER: 'external' }
            : { PAYMENT_PORT: String(paymentPort), PAYMENT_CONSUMER_NAME: 'payments-1' }),
        };
        const entry = role === 'server' ? 'main.js' : 'paymentMain.js';
        const child = spawnServer(port, dir.path, env, (c) => children.push(c), entry);
        await healthy(role === 'server' ? url : `http://127.0.0.1:${paymentPort}`);
        return child;
      },
      books: () => PostgresChargeBook.connect({ connectionString: DATABASE_URL, schema }),
    };
  };

  for (const step of [...SERVER_STEPS, ...PAYMENT_STEPS])
    it(`the ${step.startsWith('payment:') ? 'payment process' : 'server'} killed at ${step}: committed once, paid once`, async () => {
      await throughCrash(await deployment(), step);
    });

  it('the payment process killed at payment:answered, declined: released once, nothing charged', async () => {
    await throughCrash(await deployment(), 'payment:answered', true);
  });
});
