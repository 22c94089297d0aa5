/**
 * Accounts, sessions, one-time links and the auth audit log: the contract both stores keep
 * (sqliteAccountStore.ts embedded, postgresAccountStore.ts in scale-out; one contract suite,
 * test/accountStoreContract.ts). Secrets are never stored: passwords as scrypt hashes, refresh
 * tokens and one-time links as SHA-256 digests (SPEC ACC1–ACC3).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '@concord/shared';

export interface Account {
  /** `u-` and 12 random characters: also the id of the person's profile document. */
  readonly id: string;
  /** As typed at creation; unique without regard to case. */
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  /** Absent for an invited person who has not chosen a password yet. */
  readonly passwordHash: string | undefined;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type NewAccount = Omit<Account, 'createdAt' | 'updatedAt' | 'disabled'>;

export interface AccountPatch {
  readonly name?: string;
  readonly role?: Role;
  readonly disabled?: boolean;
  readonly passwordHash?: string;
}

/**
 * One refresh token of a session. A session is a family of tokens: each refresh replaces the
 * current token with a new one (rotation) and marks the old one rotated; presenting a rotated
 * token again is reuse and revokes the family.
 */
export interface SessionToken {
  readonly tokenHash: string;
  readonly family: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly rotatedAt: number | undefined;
  readonly revokedAt: number | undefined;
}

export type NewSessionToken = Omit<SessionToken, 'rotatedAt' | 'revokedAt'>;

/** A one-time link: an invitation or a password reset, for one account. */
export interface OneTimeLink {
  readonly tokenHash: string;
  readonly userId: string;
  readonly purpose: 'invite' | 'reset';
  readonly expiresAt: number;
  readonly usedAt: number | undefined;
}

export type AuthEventType =
  | 'setup'
  | 'sign-in'
  | 'sign-in-failed'
  | 'sign-out'
  | 'session-reuse'
  | 'account-created'
  | 'role-changed'
  | 'disabled'
  | 'enabled'
  | 'password-changed'
  | 'name-changed'
  | 'link-created';

export interface AuthEvent {
  readonly seq: number;
  readonly ts: number;
  readonly type: AuthEventType;
  /** Who did it (a user id); undefined when nobody was signed in (a sign-in attempt). */
  readonly actor: string | undefined;
  /** Whom it concerns: a user id, or the email typed at a failed sign-in. */
  readonly subject: string;
  readonly address: string | undefined;
  readonly detail: string | undefined;
}

export type NewAuthEvent = Omit<AuthEvent, 'seq'>;

export interface AccountQuery {
  /** Part of an email or name, without regard to case. */
  readonly search?: string;
  readonly limit: number;
  /** The last email of the previous page (the list is ordered by email). */
  readonly after?: string;
}

export interface AuthEventQuery {
  readonly subject?: string;
  readonly limit: number;
  /** The smallest `seq` of the previous page (newest first). */
  readonly before?: number;
}

export interface Failures {
  readonly count: number;
  /** When the last of them happened. */
  readonly last: number | undefined;
}

export class EmailTaken extends Error {
  constructor(email: string) {
    super(`an account with the email ${email} exists already`);
  }
}

export interface AccountStore {
  countAccounts(): Promise<number>;
  /** Admins who are not disabled. */
  countActiveAdmins(): Promise<number>;
  /** Throws EmailTaken. */
  create(account: NewAccount, now: number): Promise<Account>;
  /** Creates the account only while there is none at all (first run); false otherwise. */
  createFirst(account: NewAccount, now: number): Promise<boolean>;
  byId(id: string): Promise<Account | undefined>;
  byEmail(email: string): Promise<Account | undefined>;
  list(query: AccountQuery): Promise<Account[]>;
  update(id: string, patch: AccountPatch, now: number): Promise<Account | undefined>;

  addSession(token: NewSessionToken): Promise<void>;
  sessionByHash(tokenHash: string): Promise<SessionToken | undefined>;
  /**
   * Replaces `oldHash` by `next` in one step, if `oldHash` is still current (neither rotated nor
   * revoked); false when another refresh got there first.
   */
  rotateSession(oldHash: string, next: NewSessionToken, now: number): Promise<boolean>;
  /** True when the family has a current token that is neither revoked nor expired. */
  familyActive(family: string, now: number): Promise<boolean>;
  revokeFamily(family: string, now: number): Promise<void>;
  /** Revokes every session of the user; returns the families that were active. */
  revokeUserSessions(userId: string, now: number): Promise<string[]>;

  addLink(link: Omit<OneTimeLink, 'usedAt'>): Promise<void>;
  /** Ends every unused link of the user (their password changed, or they were disabled). */
  revokeLinks(userId: string, now: number): Promise<void>;
  /** Marks the link used and returns it, if it exists, is unused and has not expired. */
  useLink(tokenHash: string, now: number): Promise<OneTimeLink | undefined>;

  record(event: NewAuthEvent): Promise<void>;
  events(query: AuthEventQuery): Promise<AuthEvent[]>;
  /** Failed sign-ins for `subject` since `since` and since its last successful sign-in. */
  recentFailures(subject: string, since: number): Promise<Failures>;

  close(): Promise<void>;
}

export const emailKey = (email: string) => email.trim().toLowerCase();

export const newUserId = () => `u-${randomBytes(9).toString('base64url')}`;

/** A random secret for a cookie or a link (256 bits) and the digest that is stored. */
export function newSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: digest(secret) };
}

export const digest = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** `%` and `_` match themselves in a LIKE pattern built from `text`. */
export const likePattern = (text: string) =>
  `%${emailKey(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
