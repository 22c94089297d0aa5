/**
 * The account store in SQLite (better-sqlite3), the embedded default: its own file next to the
 * event log, written on the main thread (auth writes are few and small; each is one fsync'd
 * transaction).
 */
import Database from 'better-sqlite3';
import { preparedStatements, type Prepare } from '../store/statements.js';
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  role TEXT NOT NULL, password_hash TEXT, disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, rotated_at INTEGER, revoked_at INTEGER);
CREATE INDEX IF NOT EXISTS sessions_family ON sessions (family);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS links (
  token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, purpose TEXT NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS auth_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, type TEXT NOT NULL, actor TEXT,
  subject TEXT NOT NULL, address TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS auth_events_subject ON auth_events (subject, ts);
`;

interface AccountRow {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
}

interface SessionRow {
  token_hash: string;
  family: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
}

interface EventRow {
  seq: number;
  ts: number;
  type: string;
  actor: string | null;
  subject: string;
  address: string | null;
  detail: string | null;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role as Role,
  passwordHash: r.password_hash ?? undefined,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toSession = (r: SessionRow): SessionToken => ({
  tokenHash: r.token_hash,
  family: r.family,
  userId: r.user_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  rotatedAt: r.rotated_at ?? undefined,
  revokedAt: r.revoked_at ?? undefined,
});

const toEvent = (r: EventRow): AuthEvent => ({
  seq: r.seq,
  ts: r.ts,
  type: r.type as AuthEvent['type'],
  actor: r.actor ?? undefined,
  subject: r.subject,
  address: r.address ?? undefined,
  detail: r.detail ?? undefined,
});

export class SqliteAccountStore implements AccountStore {
  private readonly db: Database.Database;
  private readonly sql: Prepare;

  constructor(path: string) {
    this.db = new Database(path);
    this.sql = preparedStatements(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async countAccounts(): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
  }

  async countActiveAdmins(): Promise<number> {
    return (
      this.sql(
        `SELECT count(*) AS n FROM accounts WHERE role = 'admin' AND disabled = 0`,
      ).get() as { n: number }
    ).n;
  }

  private insert(a: NewAccount, now: number): Account {
    try {
      this.sql(
        `INSERT INTO accounts (id, email, email_key, name, role, password_hash, disabled, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
      ).run(
        a.id,
        a.email.trim(),
        emailKey(a.email),
        a.name,
        a.role,
        a.passwordHash ?? null,
        now,
        now,
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new EmailTaken(a.email);
      throw error;
    }
    return { ...a, email: a.email.trim(), disabled: false, createdAt: now, updatedAt: now };
  }

  async create(account: NewAccount, now: number): Promise<Account> {
    return this.insert(account, now);
  }

  async createFirst(account: NewAccount, now: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const n = (this.sql('SELECT count(*) AS n FROM accounts').get() as { n: number }).n;
        if (n > 0) return false;
        this.insert(account, now);
        return true;
      })
      .immediate();
  }

  async byId(id: string): Promise<Account | undefined> {
    const row = this.sql('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row && toAccount(row);
  }

  async byEmail(email: string): Promise<Account | undefined> {
    const row = this.sql('SELECT * FROM accounts WHERE email_key = ?').get(emailKey(email)) as
      AccountRow | undefined;
    return row && toAccount(row);
  }

  async list(query: AccountQuery): Promise<Account[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.search) {
      where.push(`(email_key LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')`);
      args.push(likePattern(query.search), likePattern(query.search));
    }
    if (query.after !== undefined) {
      where.push('email_key > ?');
      args.push(emailKey(query.after));
    }
    const sql = `SELECT * FROM accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY email_key LIMIT ?`;
    return (this.sql(sql).all(...args, query.limit) as AccountRow[]).map(toAccount);
  }

  async update(id: string, patch: AccountPatch, now: number): Promise<Account | undefined> {
    const sets: string[] = ['updated_at = ?'];
    const args: unknown[] = [now];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      args.push(value);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.role !== undefined) set('role', patch.role);
    if (patch.disabled !== undefined) set('disabled', patch.disabled ? 1 : 0);
    if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
    this.sql(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
    return this.byId(id);
  }

  async addSession(t: NewSessionToken): Promise<void> {
    this.insertSession(t);
  }

  private insertSession(t: NewSessionToken): void {
    this.sql(
      'INSERT INTO sessions (token_hash, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(t.tokenHash, t.family, t.userId, t.createdAt, t.expiresAt);
  }

  async sessionByHash(tokenHash: string): Promise<SessionToken | undefined> {
    const row = this.sql('SELECT * FROM sessions WHERE token_hash = ?').get(tokenHash) as
      SessionRow | undefined;
    return row && toSession(row);
  }

  async rotateSession(oldHash: string, next: NewSessionToken, now: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const changed = this.sql(
          'UPDATE sessions SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL',
        ).run(now, oldHash).changes;
        if (changed !== 1) return false;
        this.insertSession(next);
        return true;
      })
      .immediate();
  }

  async familyActive(family: string, now: number): Promise<boolean> {
    return (
      this.sql(
        `SELECT 1 FROM sessions WHERE family = ? AND rotated_at IS NULL AND revoked_at IS NULL
           AND expires_at > ? LIMIT 1`,
      ).get(family, now) !== undefined
    );
  }

  async revokeFamily(family: string, now: number): Promise<void> {
    this.sql('UPDATE sessions SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL').run(
      now,
      family,
    );
  }

  async revokeUserSessions(userId: string, now: number): Promise<string[]> {
    return this.db
      .transaction(() => {
        const families = (
          this.sql(
            `SELECT DISTINCT family FROM sessions WHERE user_id = ? AND revoked_at IS NULL
               AND rotated_at IS NULL AND expires_at > ?`,
          ).all(userId, now) as { family: string }[]
        ).map((r) => r.family);
        this.sql('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(
          now,
          userId,
        );
        return families;
      })
      .immediate();
  }

  async addLink(link: Omit<OneTimeLink, 'usedAt'>): Promise<void> {
    this.sql(
      'INSERT INTO links (token_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, ?)',
    ).run(link.tokenHash, link.userId, link.purpose, link.expiresAt);
  }

  async revokeLinks(userId: string, now: number): Promise<void> {
    this.sql('UPDATE links SET used_at = ? WHERE user_id = ? AND used_at IS NULL').run(now, userId);
  }

  async useLink(tokenHash: string, now: number): Promise<OneTimeLink | undefined> {
    return this.db
      .transaction(() => {
        const changed = this.sql(
          'UPDATE links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
        ).run(now, tokenHash, now).changes;
        if (changed !== 1) return undefined;
        const row = this.sql('SELECT * FROM links WHERE token_hash = ?').get(tokenHash) as {
          token_hash: string;
          user_id: string;
          purpose: OneTimeLink['purpose'];
          expires_at: number;
          used_at: number;
        };
        return {
          tokenHash: row.token_hash,
          userId: row.user_id,
          purpose: row.purpose,
          expiresAt: row.expires_at,
          usedAt: row.used_at,
        };
      })
      .immediate();
  }

  async record(e: NewAuthEvent): Promise<void> {
    this.sql(
      'INSERT INTO auth_events (ts, type, actor, subject, address, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(e.ts, e.type, e.actor ?? null, e.subject, e.address ?? null, e.detail ?? null);
  }

  async events(query: AuthEventQuery): Promise<AuthEvent[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.subject !== undefined) {
      where.push('subject = ?');
      args.push(query.subject);
    }
    if (query.before !== undefined) {
      where.push('seq < ?');
      args.push(query.before);
    }
    const sql = `SELECT * FROM auth_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY seq DESC LIMIT ?`;
    return (this.sql(sql).all(...args, query.limit) as EventRow[]).map(toEvent);
  }

  async recentFailures(subject: string, since: number): Promise<Failures> {
    const row = this.sql(
      `SELECT count(*) AS n, max(ts) AS last FROM auth_events WHERE subject = ? AND type = 'sign-in-failed' AND ts > ?
         AND seq > coalesce((SELECT max(seq) FROM auth_events WHERE subject = ? AND type = 'sign-in'), 0)`,
    ).get(subject, since, subject) as { n: number; last: number | null };
    return { count: row.n, last: row.last ?? undefined };
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
