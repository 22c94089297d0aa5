/**
 * The reservation ledger in SQLite, for a server running alone: one writer. Every change runs
 * behind one in-process queue (the single writer that orders placements, commits and releases),
 * reads on-hand while it holds the queue, and writes in one fsync'd transaction (RES1–RES6).
 */
import Database from 'better-sqlite3';
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reservations (
  order_id TEXT NOT NULL, product TEXT NOT NULL, quantity INTEGER NOT NULL CHECK (quantity > 0),
  state TEXT NOT NULL, reason TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (order_id, product)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reservations_active ON reservations (product) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS reservations_expiry ON reservations (expires_at) WHERE state = 'active';
`;

interface Row {
  order_id: string;
  product: string;
  quantity: number;
  state: ReservationState;
  reason: string | null;
  created_at: number;
  expires_at: number;
  updated_at: number;
}

const toReservation = (r: Row): Reservation => ({
  order: r.order_id,
  product: r.product,
  quantity: r.quantity,
  state: r.state,
  reason: r.reason ?? undefined,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  updatedAt: r.updated_at,
});

export class SqliteReservationStore implements ReservationStore {
  private readonly db: Database.Database;
  /** The single writer: each change waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private rowsOf(order: string): Reservation[] {
    return this.db
      .prepare<[string], Row>('SELECT * FROM reservations WHERE order_id = ? ORDER BY product')
      .all(order)
      .map(toReservation);
  }

  async reserve(
    order: string,
    lines: readonly ReservationLine[],
    onHand: OnHand,
    now: number,
    ttlMs: number,
  ): Promise<ReserveResult> {
    const wanted = checkLines(lines);
    return this.exclusive(async () => {
      const existing = this.rowsOf(order);
      if (existing.some((r) => r.state !== 'released'))
        return { ok: true, reservations: existing, replayed: true };
      const products = wanted.map((l) => l.product);
      const short = shortfall(wanted, await onHand(products), await this.reserved(products));
      if (short) return { ok: false, lines: short };
      const insert = this.db.prepare(
        `INSERT INTO reservations (order_id, product, quantity, state, reason, created_at, expires_at, updated_at)
         VALUES (?, ?, ?, 'active', NULL, ?, ?, ?)`,
      );
      this.db.transaction(() => {
        // Reservations released by an earlier attempt make way for this one.
        this.db.prepare('DELETE FROM reservations WHERE order_id = ?').run(order);
        for (const l of wanted) insert.run(order, l.product, l.quantity, now, now + ttlMs, now);
      })();
      return { ok: true, reservations: this.rowsOf(order), replayed: false };
    });
  }

  release(order: string, reason: string, now: number): Promise<Reservation[]> {
    return this.exclusive(async () => {
      const released = this.db
        .prepare<[string, number, string], Row>(
          `UPDATE reservations SET state = 'released', reason = ?, updated_at = ?
           WHERE order_id = ? AND state = 'active' RETURNING *`,
        )
        .all(reason, now, order);
      return released.map(toReservation).sort((a, b) => (a.product < b.product ? -1 : 1));
    });
  }

  commit(
    order: string,
    now: number,
    decrement: (lines: readonly ReservationLine[]) => Promise<void>,
  ): Promise<Reservation[]> {
    return this.exclusive(async () => {
      const active = this.rowsOf(order).filter((r) => r.state === 'active');
      if (active.length === 0) return [];
      await decrement(active.map((r) => ({ product: r.product, quantity: r.quantity })));
      this.db
        .prepare(
          `UPDATE reservations SET state = 'committed', updated_at = ? WHERE order_id = ? AND state = 'active'`,
        )
        .run(now, order);
      return this.rowsOf(order).filter((r) => active.some((a) => a.product === r.product));
    });
  }

  async ofOrder(order: string): Promise<Reservation[]> {
    return this.rowsOf(order);
  }

  async reserved(products: readonly string[]): Promise<Map<string, number>> {
    const sum = this.db.prepare<[string], { n: number | null }>(
      `SELECT sum(quantity) AS n FROM reservations WHERE product = ? AND state = 'active'`,
    );
    return new Map(products.map((p) => [p, sum.get(p)?.n ?? 0]));
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return this.db
      .prepare<[number, number], { order_id: string }>(
        `SELECT DISTINCT order_id FROM reservations WHERE state = 'active' AND expires_at <= ?
         ORDER BY order_id LIMIT ?`,
      )
      .all(now, limit)
      .map((r) => r.order_id);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
