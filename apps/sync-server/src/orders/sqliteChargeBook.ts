/** The simulated provider's books in a SQLite file of their own (a server running alone). */
import Database from 'better-sqlite3';
import { preparedStatements, type Prepare } from '../store/statements.js';
import { toChargeEntry, type ChargeBook, type ChargeEntry, type ChargeRow } from './chargeBook.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS charges (
  key TEXT PRIMARY KEY, outcome TEXT NOT NULL, amount_cents INTEGER NOT NULL, currency TEXT NOT NULL,
  created_at INTEGER NOT NULL, refunded_at INTEGER) WITHOUT ROWID;
`;

export class SqliteChargeBook implements ChargeBook {
  private readonly db: Database.Database;
  private readonly sql: Prepare;

  constructor(path: string) {
    this.db = new Database(path);
    this.sql = preparedStatements(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async decide(entry: Omit<ChargeEntry, 'refunded'>, now: number) {
    this.sql(
      `INSERT INTO charges (key, outcome, amount_cents, currency, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO NOTHING`,
    ).run(entry.key, entry.outcome, entry.amountCents, entry.currency, now);
    return this.sql<[string], Pick<ChargeRow, 'outcome'>>(
      'SELECT outcome FROM charges WHERE key = ?',
    ).get(entry.key)!.outcome;
  }

  async refund(key: string, now: number): Promise<void> {
    this.sql(
      `UPDATE charges SET refunded_at = ? WHERE key = ? AND outcome = 'paid' AND refunded_at IS NULL`,
    ).run(now, key);
  }

  async entries(): Promise<ChargeEntry[]> {
    return this.sql<[], ChargeRow>('SELECT * FROM charges ORDER BY key').all().map(toChargeEntry);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
