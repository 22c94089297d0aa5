/**
 * The order ledger in SQLite, for a server running alone: one writer. Every change runs behind
 * one in-process queue (the single writer that orders placements, transitions and commits), reads
 * on-hand while it holds the queue, and writes in one fsync'd transaction (RES1–RES6, SAGA1).
 */
import Database from 'better-sqlite3';
import { preparedStatements, type Prepare } from '../store/statements.js';
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  order_id TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT, updated_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations (
  order_id TEXT NOT NULL, product TEXT NOT NULL, quantity INTEGER NOT NULL CHECK (quantity > 0),
  state TEXT NOT NULL, reason TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (order_id, product)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reservations_active ON reservations (product) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS reservations_expiry ON reservations (expires_at) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS orders_state ON orders (state);
`;

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export class SqliteReservationStore implements ReservationStore {
  private readonly db: Database.Database;
  private readonly sql: Prepare;
  /** The single writer: each change waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.db = new Database(path);
    this.sql = preparedStatements(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const columns = this.sql<[], { name: string }>('PRAGMA table_info(orders)').all();
    if (!columns.some((c) => c.name === 'projected'))
      this.db.exec('ALTER TABLE orders ADD COLUMN projected TEXT');
    if (!columns.some((c) => c.name === 'terms'))
      this.db.exec('ALTER TABLE orders ADD COLUMN terms TEXT');
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private recordOf(order: string): OrderRecord | undefined {
    const row = this.sql<
      [string],
      { state: OrderState; reason: string | null; updated_at: number; terms: string | null }
    >('SELECT state, reason, updated_at, terms FROM orders WHERE order_id = ?').get(order);
    if (!row) return undefined;
    const reservations = this.sql<[string], ReservationRow>(
      'SELECT * FROM reservations WHERE order_id = ? ORDER BY product',
    )
      .all(order)
      .map(toReservation);
    return {
      order,
      state: row.state,
      reason: row.reason ?? undefined,
      updatedAt: row.updated_at,
      reservations,
      terms: placementTermsOf(row.terms),
    };
  }

  private setState(order: string, state: OrderState, reason: string | undefined, now: number) {
    this.sql(
      `INSERT INTO orders (order_id, state, reason, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
         updated_at = excluded.updated_at`,
    ).run(order, state, reason ?? null, now);
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
    return this.exclusive(async () => {
      const existing = this.recordOf(order);
      if (existing && existing.state !== 'released')
        return { ok: true, record: existing, replayed: true };
      const products = wanted.map((l) => l.product);
      const short = shortfall(wanted, await onHand(products), await this.reserved(products));
      if (short) return { ok: false, lines: short };
      const insert = this.sql(
        `INSERT INTO reservations (order_id, product, quantity, state, reason, created_at, expires_at, updated_at)
         VALUES (?, ?, ?, 'active', NULL, ?, ?, ?)`,
      );
      this.db.transaction(() => {
        // Reservations released by an earlier attempt make way for this one.
        this.sql('DELETE FROM reservations WHERE order_id = ?').run(order);
        for (const l of wanted) insert.run(order, l.product, l.quantity, now, now + ttlMs, now);
        this.setState(order, 'placed', undefined, now);
        this.sql('UPDATE orders SET terms = ? WHERE order_id = ?').run(
          terms ? JSON.stringify(terms) : null,
          order,
        );
      })();
      return { ok: true, record: this.recordOf(order)!, replayed: false };
    });
  }

  transition(
    order: string,
    from: readonly OrderState[],
    to: OrderState,
    reason: string | undefined,
    now: number,
  ): Promise<OrderRecord | undefined> {
    return this.exclusive(async () => {
      const current = this.recordOf(order);
      if (!current || !from.includes(current.state)) return undefined;
      this.db.transaction(() => {
        if (RELEASING.includes(to))
          this.sql(
            `UPDATE reservations SET state = 'released', reason = ?, updated_at = ?
               WHERE order_id = ? AND state = 'active'`,
          ).run(reason ?? to, now, order);
        this.setState(order, to, reason, now);
      })();
      return this.recordOf(order);
    });
  }

  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<OrderRecord | undefined> {
    return this.exclusive(async () => {
      const current = this.recordOf(order);
      if (current?.state !== 'paid') return undefined;
      const active = current.reservations.filter((r) => r.state === 'active');
      await decrement(active.map((r) => ({ product: r.product, quantity: r.quantity })));
      this.db.transaction(() => {
        this.sql(
          `UPDATE reservations SET state = 'committed', updated_at = ? WHERE order_id = ? AND state = 'active'`,
        ).run(now, order);
        this.setState(order, 'stock_committed', undefined, now);
      })();
      return this.recordOf(order);
    });
  }

  async record(order: string): Promise<OrderRecord | undefined> {
    return this.recordOf(order);
  }

  async inProgress(limit: number): Promise<string[]> {
    return this.sql<unknown[], { order_id: string }>(
      `SELECT order_id FROM orders WHERE state IN (${placeholders(IN_PROGRESS.length)})
         ORDER BY updated_at LIMIT ?`,
    )
      .all(...IN_PROGRESS, limit)
      .map((r) => r.order_id);
  }

  async progress(stuckBefore: number) {
    return this.sql<unknown[], { state: OrderState; count: number; stuck: number }>(
      `SELECT state, count(*) AS count, sum(CASE WHEN updated_at < ? THEN 1 ELSE 0 END) AS stuck
         FROM orders WHERE state IN (${placeholders(IN_PROGRESS.length)}) GROUP BY state`,
    ).all(stuckBefore, ...IN_PROGRESS);
  }

  async projected(order: string, state: OrderState): Promise<void> {
    this.sql('UPDATE orders SET projected = ? WHERE order_id = ? AND state = ?').run(
      state,
      order,
      state,
    );
  }

  async unprojected(limit: number): Promise<string[]> {
    return this.sql<[number], { order_id: string }>(
      `SELECT order_id FROM orders WHERE projected IS NULL OR projected <> state
         ORDER BY updated_at LIMIT ?`,
    )
      .all(limit)
      .map((r) => r.order_id);
  }

  async reserved(products: readonly string[]): Promise<Map<string, number>> {
    const sum = this.sql<[string], { n: number | null }>(
      `SELECT sum(quantity) AS n FROM reservations WHERE product = ? AND state = 'active'`,
    );
    return new Map(products.map((p) => [p, sum.get(p)?.n ?? 0]));
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return this.sql<[number, number], { order_id: string }>(
      `SELECT DISTINCT r.order_id FROM reservations r JOIN orders o ON o.order_id = r.order_id
         WHERE r.state = 'active' AND r.expires_at <= ? AND o.state IN ('placed', 'payment_requested')
         ORDER BY r.order_id LIMIT ?`,
    )
      .all(now, limit)
      .map((r) => r.order_id);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
