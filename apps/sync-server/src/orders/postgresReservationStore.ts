/**
 * The order ledger in PostgreSQL, shared by every scale-out instance (RES1–RES6, SAGA1). A change
 * is one transaction that first takes the order's lock (an advisory lock), then the products' row
 * locks in product order (`FOR UPDATE` on `stock_locks`), reads on-hand while holding them, and
 * writes; concurrent placements on any instance wait for each other only where they share a
 * product, and never deadlock (one lock order everywhere).
 */
import type pg from 'pg';
import { openPgStore, type PgStoreOptions } from '../store/pgSchema.js';
import { pgTransaction } from '../store/pgTransaction.js';
import {
  placementTermsOf,
  checkLines,
  type PlacementTerms,
  IN_PROGRESS,
  RELEASING,
  shortfall,
  type OnHand,
  type OrderRecord,
  type OrderState,
  type ReservationLine,
  type ReservationStore,
  type ReserveResult,
  type ReservationRow,
  toReservation,
} from './reservationStore.js';

function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.stock_locks (product text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS ${s}.orders (
  order_id text PRIMARY KEY, state text NOT NULL, reason text, updated_at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS orders_state ON ${s}.orders (state);
ALTER TABLE ${s}.orders ADD COLUMN IF NOT EXISTS projected text;
ALTER TABLE ${s}.orders ADD COLUMN IF NOT EXISTS terms text;
CREATE TABLE IF NOT EXISTS ${s}.reservations (
  order_id text NOT NULL, product text NOT NULL, quantity integer NOT NULL CHECK (quantity > 0),
  state text NOT NULL, reason text, created_at bigint NOT NULL, expires_at bigint NOT NULL,
  updated_at bigint NOT NULL, PRIMARY KEY (order_id, product));
CREATE INDEX IF NOT EXISTS reservations_active ON ${s}.reservations (product) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS reservations_expiry ON ${s}.reservations (expires_at) WHERE state = 'active';
`;
}

export class PostgresReservationStore implements ReservationStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
  ) {}

  static async connect(options: PgStoreOptions): Promise<PostgresReservationStore> {
    const { pool, schema } = await openPgStore(options, ddl);
    return new PostgresReservationStore(pool, schema);
  }

  /** The order's lock, then its products' row locks, in product order. */
  private async lock(c: pg.PoolClient, order: string, products: readonly string[]): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`concord-order:${order}`]);
    if (products.length === 0) return;
    await c.query(
      `SELECT product FROM ${this.s}.stock_locks WHERE product = ANY($1) ORDER BY product FOR UPDATE`,
      [products],
    );
  }

  private async recordWith(
    c: pg.ClientBase | pg.Pool,
    order: string,
  ): Promise<OrderRecord | undefined> {
    const { rows: found } = await c.query<{
      state: OrderState;
      reason: string | null;
      updated_at: string;
      terms: string | null;
    }>(`SELECT state, reason, updated_at, terms FROM ${this.s}.orders WHERE order_id = $1`, [
      order,
    ]);
    const row = found[0];
    if (!row) return undefined;
    const { rows } = await c.query<ReservationRow>(
      `SELECT * FROM ${this.s}.reservations WHERE order_id = $1 ORDER BY product`,
      [order],
    );
    return {
      order,
      state: row.state,
      reason: row.reason ?? undefined,
      updatedAt: Number(row.updated_at),
      reservations: rows.map(toReservation),
      terms: placementTermsOf(row.terms),
    };
  }

  private async setState(
    c: pg.ClientBase,
    order: string,
    state: OrderState,
    reason: string | undefined,
    now: number,
  ): Promise<void> {
    await c.query(
      `INSERT INTO ${this.s}.orders (order_id, state, reason, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
       updated_at = excluded.updated_at`,
      [order, state, reason ?? null, now],
    );
  }

  private async reservedWith(
    c: pg.ClientBase | pg.Pool,
    products: readonly string[],
  ): Promise<Map<string, number>> {
    const { rows } = await c.query<{ product: string; n: string }>(
      `SELECT product, sum(quantity) AS n FROM ${this.s}.reservations
       WHERE product = ANY($1) AND state = 'active' GROUP BY product`,
      [products],
    );
    const out = new Map(products.map((p) => [p, 0]));
    for (const r of rows) out.set(r.product, Number(r.n));
    return out;
  }

  async reserve(
    order: string,
    lines: readonly ReservationLine[],
    onHand: OnHand,
    now: number,
    ttlMs: number,
    terms?: PlacementTerms,
  ): Promise<ReserveResult> {
    const wanted = checkLines(lines);
    const products = wanted.map((l) => l.product);
    // Lock rows exist before any transaction locks them (inserted outside it).
    await this.pool.query(
      `INSERT INTO ${this.s}.stock_locks (product) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
      [products],
    );
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, products);
      const existing = await this.recordWith(c, order);
      if (existing && existing.state !== 'released')
        return { ok: true, record: existing, replayed: true };
      const short = shortfall(wanted, await onHand(products), await this.reservedWith(c, products));
      if (short) return { ok: false, lines: short };
      await c.query(`DELETE FROM ${this.s}.reservations WHERE order_id = $1`, [order]);
      await c.query(
        `INSERT INTO ${this.s}.reservations
           (order_id, product, quantity, state, reason, created_at, expires_at, updated_at)
         SELECT $1, p, q, 'active', NULL, $4, $5, $4 FROM unnest($2::text[], $3::int[]) AS t(p, q)`,
        [order, products, wanted.map((l) => l.quantity), now, now + ttlMs],
      );
      await this.setState(c, order, 'placed', undefined, now);
      await c.query(`UPDATE ${this.s}.orders SET terms = $2 WHERE order_id = $1`, [
        order,
        terms ? JSON.stringify(terms) : null,
      ]);
      return { ok: true, record: (await this.recordWith(c, order))!, replayed: false };
    });
  }

  transition(
    order: string,
    from: readonly OrderState[],
    to: OrderState,
    reason: string | undefined,
    now: number,
  ): Promise<OrderRecord | undefined> {
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, []);
      const current = await this.recordWith(c, order);
      if (!current || !from.includes(current.state)) return undefined;
      if (RELEASING.includes(to))
        await c.query(
          `UPDATE ${this.s}.reservations SET state = 'released', reason = $2, updated_at = $3
           WHERE order_id = $1 AND state = 'active'`,
          [order, reason ?? to, now],
        );
      await this.setState(c, order, to, reason, now);
      return this.recordWith(c, order);
    });
  }

  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<OrderRecord | undefined> {
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, []);
      const current = await this.recordWith(c, order);
      if (current?.state !== 'paid') return undefined;
      const active = current.reservations.filter((r) => r.state === 'active');
      await this.lock(
        c,
        order,
        active.map((r) => r.product),
      );
      await decrement(active.map((r) => ({ product: r.product, quantity: r.quantity })));
      await c.query(
        `UPDATE ${this.s}.reservations SET state = 'committed', updated_at = $2
         WHERE order_id = $1 AND state = 'active'`,
        [order, now],
      );
      await this.setState(c, order, 'stock_committed', undefined, now);
      return this.recordWith(c, order);
    });
  }

  record(order: string): Promise<OrderRecord | undefined> {
    return this.recordWith(this.pool, order);
  }

  async inProgress(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT order_id FROM ${this.s}.orders WHERE state = ANY($1) ORDER BY updated_at LIMIT $2`,
      [IN_PROGRESS, limit],
    );
    return rows.map((r) => r.order_id);
  }

  async projected(order: string, state: OrderState): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.s}.orders SET projected = $2 WHERE order_id = $1 AND state = $2`,
      [order, state],
    );
  }

  async unprojected(limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT order_id FROM ${this.s}.orders WHERE projected IS DISTINCT FROM state
       ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.order_id);
  }

  async progress(stuckBefore: number) {
    const { rows } = await this.pool.query<{ state: OrderState; count: string; stuck: string }>(
      `SELECT state, count(*) AS count, count(*) FILTER (WHERE updated_at < $1) AS stuck
       FROM ${this.s}.orders WHERE state = ANY($2) GROUP BY state`,
      [stuckBefore, IN_PROGRESS],
    );
    return rows.map((r) => ({ state: r.state, count: Number(r.count), stuck: Number(r.stuck) }));
  }

  reserved(products: readonly string[]): Promise<Map<string, number>> {
    return this.reservedWith(this.pool, products);
  }

  async expired(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT DISTINCT r.order_id FROM ${this.s}.reservations r
       JOIN ${this.s}.orders o ON o.order_id = r.order_id
       WHERE r.state = 'active' AND r.expires_at <= $1 AND o.state IN ('placed', 'payment_requested')
       ORDER BY r.order_id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.order_id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
