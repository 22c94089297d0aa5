/** The simulated provider's books in PostgreSQL (scale-out: any payment consumer may ask). */
import type pg from 'pg';
import { openPgStore, type PgStoreOptions } from '../store/pgSchema.js';
import { toChargeEntry, type ChargeBook, type ChargeEntry, type ChargeRow } from './chargeBook.js';

const ddl = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.simulated_charges (
  key text PRIMARY KEY, outcome text NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL,
  created_at bigint NOT NULL, refunded_at bigint);
`;

export class PostgresChargeBook implements ChargeBook {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
  ) {}

  static async connect(options: PgStoreOptions): Promise<PostgresChargeBook> {
    const { pool, schema } = await openPgStore({ max: 2, ...options }, ddl);
    return new PostgresChargeBook(pool, schema);
  }

  async decide(entry: Omit<ChargeEntry, 'refunded'>, now: number) {
    await this.pool.query(
      `INSERT INTO ${this.s}.simulated_charges (key, outcome, amount_cents, currency, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
      [entry.key, entry.outcome, entry.amountCents, entry.currency, now],
    );
    const { rows } = await this.pool.query<Pick<ChargeRow, 'outcome'>>(
      `SELECT outcome FROM ${this.s}.simulated_charges WHERE key = $1`,
      [entry.key],
    );
    return rows[0]!.outcome;
  }

  async refund(key: string, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.s}.simulated_charges SET refunded_at = $2
       WHERE key = $1 AND outcome = 'paid' AND refunded_at IS NULL`,
      [key, now],
    );
  }

  async entries(): Promise<ChargeEntry[]> {
    const { rows } = await this.pool.query<ChargeRow>(
      `SELECT * FROM ${this.s}.simulated_charges ORDER BY key`,
    );
    return rows.map(toChargeEntry);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
