/**
 * The account store in PostgreSQL, shared by every scale-out instance; same contract as the SQLite
 * store. Its tables live in the deployment's schema (default `concord`) next to the log.
 */
import type pg from 'pg';
import { openPgStore, type PgStoreOptions } from '../store/pgSchema.js';
import { pgTransaction } from '../store/pgTransaction.js';
import type { Role } from '@concord/shared';
import {
  EmailTaken,
  emailKey,
  likePattern,
  type Account,
  type AccountPatch,
  type AccountQuery,
  type AccountStore,
  type AuthEvent,
  type AuthEventQuery,
  type Failures,
  type NewAccount,
  type NewAuthEvent,
  type NewSessionToken,
  type OneTimeLink,
  type SessionToken,
} from './accountStore.js';

function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.accounts (
  id text PRIMARY KEY, email text NOT NULL, email_key text NOT NULL UNIQUE, name text NOT NULL,
  role text NOT NULL, password_hash text, disabled boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.sessions (
  token_hash text PRIMARY KEY, family text NOT NULL, user_id text NOT NULL,
  created_at bigint NOT NULL, expires_at bigint NOT NULL, rotated_at bigint, revoked_at bigint);
CREATE INDEX IF NOT EXISTS sessions_family ON ${s}.sessions (family);
CREATE INDEX IF NOT EXISTS sessions_user ON ${s}.sessions (user_id);
CREATE TABLE IF NOT EXISTS ${s}.links (
  token_hash text PRIMARY KEY, user_id text NOT NULL, purpose text NOT NULL,
  expires_at bigint NOT NULL, used_at bigint);
CREATE TABLE IF NOT EXISTS ${s}.auth_events (
  seq bigserial PRIMARY KEY, ts bigint NOT NULL, type text NOT NULL, actor text,
  subject text NOT NULL, address text, detail text);
CREATE INDEX IF NOT EXISTS auth_events_subject ON ${s}.auth_events (subject, ts);
`;
}

interface AccountRow {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string | null;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role as Role,
  passwordHash: r.password_hash ?? undefined,
  disabled: r.disabled,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const num = (v: string | null) => (v === null ? undefined : Number(v));

export class PostgresAccountStore implements AccountStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
  ) {}

  static async connect(options: PgStoreOptions): Promise<PostgresAccountStore> {
    const { pool, schema } = await openPgStore(options, ddl);
    return new PostgresAccountStore(pool, schema);
  }

  private tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.pool, fn);
  }

  async countAccounts(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.s}.accounts`,
    );
    return Number(rows[0]!.n);
  }

  async countActiveAdmins(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.s}.accounts WHERE role = 'admin' AND NOT disabled`,
    );
    return Number(rows[0]!.n);
  }

  private async insert(q: pg.Pool | pg.PoolClient, a: NewAccount, now: number): Promise<Account> {
    try {
      await q.query(
        `INSERT INTO ${this.s}.accounts (id, email, email_key, name, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
        [a.id, a.email.trim(), emailKey(a.email), a.name, a.role, a.passwordHash ?? null, now],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new EmailTaken(a.email);
      throw error;
    }
    return { ...a, email: a.email.trim(), disabled: false, createdAt: now, updatedAt: now };
  }

  create(account: NewAccount, now: number): Promise<Account> {
    return this.insert(this.pool, account, now);
  }

  createFirst(account: NewAccount, now: number): Promise<boolean> {
    return this.tx(async (c) => {
      // Two instances racing through first-run setup: one wins, the other sees an account.
      await c.query(`LOCK TABLE ${this.s}.accounts IN EXCLUSIVE MODE`);
      const { rows } = await c.query(`SELECT 1 FROM ${this.s}.accounts LIMIT 1`);
      if (rows.length > 0) return false;
      await this.insert(c, account, now);
      return true;
    });
  }

  async byId(id: string): Promise<Account | undefined> {
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT * FROM ${this.s}.accounts WHERE id = $1`,
      [id],
    );
    return rows[0] && toAccount(rows[0]);
  }

  async byEmail(email: string): Promise<Account | undefined> {
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT * FROM ${this.s}.accounts WHERE email_key = $1`,
      [emailKey(email)],
    );
    return rows[0] && toAccount(rows[0]);
  }

  async list(query: AccountQuery): Promise<Account[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.search) {
      args.push(likePattern(query.search));
      where.push(`(email_key LIKE $${args.length} OR lower(name) LIKE $${args.length})`);
    }
    if (query.after !== undefined) {
      args.push(emailKey(query.after));
      where.push(`email_key COLLATE "C" > $${args.length}`);
    }
    args.push(query.limit);
    const { rows } = await this.pool.query<AccountRow>(
      `SELECT * FROM ${this.s}.accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY email_key COLLATE "C" LIMIT $${args.length}`,
      args,
    );
    return rows.map(toAccount);
  }

  async update(id: string, patch: AccountPatch, now: number): Promise<Account | undefined> {
    const args: unknown[] = [now];
    const sets = ['updated_at = $1'];
    const set = (column: string, value: unknown) => {
      args.push(value);
      sets.push(`${column} = $${args.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.role !== undefined) set('role', patch.role);
    if (patch.disabled !== undefined) set('disabled', patch.disabled);
    if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
    args.push(id);
    const { rows } = await this.pool.query<AccountRow>(
      `UPDATE ${this.s}.accounts SET ${sets.join(', ')} WHERE id = $${args.length} RETURNING *`,
      args,
    );
    return rows[0] && toAccount(rows[0]);
  }

  private async insertSession(q: pg.Pool | pg.PoolClient, t: NewSessionToken): Promise<void> {
    await q.query(
      `INSERT INTO ${this.s}.sessions (token_hash, family, user_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [t.tokenHash, t.family, t.userId, t.createdAt, t.expiresAt],
    );
  }

  addSession(token: NewSessionToken): Promise<void> {
    return this.insertSession(this.pool, token);
  }

  async sessionByHash(tokenHash: string): Promise<SessionToken | undefined> {
    const { rows } = await this.pool.query<{
      token_hash: string;
      family: string;
      user_id: string;
      created_at: string;
      expires_at: string;
      rotated_at: string | null;
      revoked_at: string | null;
    }>(`SELECT * FROM ${this.s}.sessions WHERE token_hash = $1`, [tokenHash]);
    const r = rows[0];
    return (
      r && {
        tokenHash: r.token_hash,
        family: r.family,
        userId: r.user_id,
        createdAt: Number(r.created_at),
        expiresAt: Number(r.expires_at),
        rotatedAt: num(r.rotated_at),
        revokedAt: num(r.revoked_at),
      }
    );
  }

  rotateSession(oldHash: string, next: NewSessionToken, now: number): Promise<boolean> {
    return this.tx(async (c) => {
      const { rowCount } = await c.query(
        `UPDATE ${this.s}.sessions SET rotated_at = $1
         WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL`,
        [now, oldHash],
      );
      if (rowCount !== 1) return false;
      await this.insertSession(c, next);
      return true;
    });
  }

  async familyActive(family: string, now: number): Promise<boolean> {
    const { rows } = await this.pool.query(
      `SELECT 1 FROM ${this.s}.sessions WHERE family = $1 AND rotated_at IS NULL
       AND revoked_at IS NULL AND expires_at > $2 LIMIT 1`,
      [family, now],
    );
    return rows.length > 0;
  }

  async revokeFamily(family: string, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.s}.sessions SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL`,
      [now, family],
    );
  }

  revokeUserSessions(userId: string, now: number): Promise<string[]> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ family: string }>(
        `SELECT DISTINCT family FROM ${this.s}.sessions WHERE user_id = $1 AND revoked_at IS NULL
         AND rotated_at IS NULL AND expires_at > $2`,
        [userId, now],
      );
      await c.query(
        `UPDATE ${this.s}.sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`,
        [now, userId],
      );
      return rows.map((r) => r.family);
    });
  }

  async addLink(link: Omit<OneTimeLink, 'usedAt'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.links (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)`,
      [link.tokenHash, link.userId, link.purpose, link.expiresAt],
    );
  }

  async revokeLinks(userId: string, now: number): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.s}.links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL`,
      [now, userId],
    );
  }

  async useLink(tokenHash: string, now: number): Promise<OneTimeLink | undefined> {
    const { rows } = await this.pool.query<{
      user_id: string;
      purpose: OneTimeLink['purpose'];
      expires_at: string;
      used_at: string;
    }>(
      `UPDATE ${this.s}.links SET used_at = $1
       WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING *`,
      [now, tokenHash],
    );
    const r = rows[0];
    return (
      r && {
        tokenHash,
        userId: r.user_id,
        purpose: r.purpose,
        expiresAt: Number(r.expires_at),
        usedAt: Number(r.used_at),
      }
    );
  }

  async record(e: NewAuthEvent): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.auth_events (ts, type, actor, subject, address, detail)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.ts, e.type, e.actor ?? null, e.subject, e.address ?? null, e.detail ?? null],
    );
  }

  async events(query: AuthEventQuery): Promise<AuthEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.subject !== undefined) {
      args.push(query.subject);
      where.push(`subject = $${args.length}`);
    }
    if (query.before !== undefined) {
      args.push(query.before);
      where.push(`seq < $${args.length}`);
    }
    args.push(query.limit);
    const { rows } = await this.pool.query<{
      seq: string;
      ts: string;
      type: AuthEvent['type'];
      actor: string | null;
      subject: string;
      address: string | null;
      detail: string | null;
    }>(
      `SELECT * FROM ${this.s}.auth_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      ts: Number(r.ts),
      type: r.type,
      actor: r.actor ?? undefined,
      subject: r.subject,
      address: r.address ?? undefined,
      detail: r.detail ?? undefined,
    }));
  }

  async recentFailures(subject: string, since: number): Promise<Failures> {
    const { rows } = await this.pool.query<{ n: string; last: string | null }>(
      `SELECT count(*) AS n, max(ts) AS last FROM ${this.s}.auth_events WHERE subject = $1 AND type = 'sign-in-failed'
       AND ts > $2 AND seq > coalesce((SELECT max(seq) FROM ${this.s}.auth_events
                                      WHERE subject = $1 AND type = 'sign-in'), 0)`,
      [subject, since],
    );
    return { count: Number(rows[0]!.n), last: num(rows[0]!.last) };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
