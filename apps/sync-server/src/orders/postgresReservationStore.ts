/**
 * The reservation ledger in PostgreSQL, shared by every scale-out instance (RES1–RES6). A change
 * is one transaction that first takes the order's lock (an advisory lock), then the products' row
 * locks in product order (`FOR UPDATE` on `stock_locks`), reads on-hand while holding them, and
 * writes; concurrent placements on any instance wait for each other only where they share a
 * product, and never deadlock (one lock order everywhere).
 */
import pg from 'pg';
import { pgTransaction } from '../store/pgTransaction.js';
import {
  checkLines,
  shortfall,
  type OnHand,
  type Reservation,
  type ReservationLine,
  type ReservationState,
  type ReservationStore,
  type ReserveResult,
} from './reservationStore.js';

function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.stock_locks (product text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS ${s}.reservations (
  order_id text NOT NULL, product text NOT NULL, quantity integer NOT NULL CHECK (quantity > 0),
  state text NOT NULL, reason text, created_at bigint NOT NULL, expires_at bigint NOT NULL,
  updated_at bigint NOT NULL, PRIMARY KEY (order_id, product));
CREATE INDEX IF NOT EXISTS reservations_active ON ${s}.reservations (product) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS reservations_expiry ON ${s}.reservations (expires_at) WHERE state = 'active';
`;
}

interface Row {
  order_id: string;
  product: string;
  quantity: number;
  state: ReservationState;
  reason: string | null;
  created_at: string;
  expires_at: string;
  updated_at: string;
}

const toReservation = (r: Row): Reservation => ({
  order: r.order_id,
  product: r.product,
  quantity: r.quantity,
  state: r.state,
  reason: r.reason ?? undefined,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  updatedAt: Number(r.updated_at),
});

export class PostgresReservationStore implements ReservationStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
  ) {}

  static async connect(options: {
    connectionString: string;
    schema?: string;
    max?: number;
  }): Promise<PostgresReservationStore> {
    const schema = options.schema ?? 'concord';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 4,
      connectionTimeoutMillis: 5_000,
    });
    pool.on('error', () => {});
    try {
      await pgTransaction(pool, async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`concord-ddl:${schema}`]);
        await c.query(ddl(`"${schema}"`));
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresReservationStore(pool, `"${schema}"`);
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

  private async rowsOf(c: pg.ClientBase | pg.Pool, order: string): Promise<Reservation[]> {
    const { rows } = await c.query<Row>(
      `SELECT * FROM ${this.s}.reservations WHERE order_id = $1 ORDER BY product`,
      [order],
    );
    return rows.map(toReservation);
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
  ): Promise<ReserveResult> {
    const wanted = checkLines(lines);
    const products = wanted.map((l) => l.product);
    // Lock rows exist before any transaction locks them (inserted in order, outside it).
    await this.pool.query(
      `INSERT INTO ${this.s}.stock_locks (product) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
      [products],
    );
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, products);
      const existing = await this.rowsOf(c, order);
      if (existing.some((r) => r.state !== 'released'))
        return { ok: true, reservations: existing, replayed: true };
      const short = shortfall(wanted, await onHand(products), await this.reservedWith(c, products));
      if (short) return { ok: false, lines: short };
      await c.query(`DELETE FROM ${this.s}.reservations WHERE order_id = $1`, [order]);
      await c.query(
        `INSERT INTO ${this.s}.reservations
           (order_id, product, quantity, state, reason, created_at, expires_at, updated_at)
         SELECT $1, p, q, 'active', NULL, $4, $5, $4 FROM unnest($2::text[], $3::int[]) AS t(p, q)`,
        [order, products, wanted.map((l) => l.quantity), now, now + ttlMs],
      );
      return { ok: true, reservations: await this.rowsOf(c, order), replayed: false };
    });
  }

  release(order: string, reason: string, now: number): Promise<Reservation[]> {
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, []);
      const { rows } = await c.query<Row>(
        `UPDATE ${this.s}.reservations SET state = 'released', reason = $2, updated_at = $3
         WHERE order_id = $1 AND state = 'active' RETURNING *`,
        [order, reason, now],
      );
      return rows.map(toReservation).sort((a, b) => (a.product < b.product ? -1 : 1));
    });
  }

  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<Reservation[]> {
    return pgTransaction(this.pool, async (c) => {
      await this.lock(c, order, []);
      const active = (await this.rowsOf(c, order)).filter((r) => r.state === 'active');
      if (active.length === 0) return [];
      await this.lock(
        c,
        order,
        active.map((r) => r.product),
      );
      await decrement(active.map((r) => ({ product: r.product, quantity: r.quantity })));
      const { rows } = await c.query<Row>(
        `UPDATE ${this.s}.reservations SET state = 'committed', updated_at = $2
         WHERE order_id = $1 AND state = 'active' RETURNING *`,
        [order, now],
      );
      return rows.map(toReservation).sort((a, b) => (a.product < b.product ? -1 : 1));
    });
  }

  ofOrder(order: string): Promise<Reservation[]> {
    return this.rowsOf(this.pool, order);
  }

  reserved(products: readonly string[]): Promise<Map<string, number>> {
    return this.reservedWith(this.pool, products);
  }

  async expired(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ order_id: string }>(
      `SELECT DISTINCT order_id FROM ${this.s}.reservations
       WHERE state = 'active' AND expires_at <= $1 ORDER BY order_id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.order_id);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
