/**
 * Signed-in sessions (SPEC ACC3–ACC4): password sign-in with lockout, a session as a family of
 * rotating refresh tokens (stored as digests), short-lived access tokens, reuse detection and
 * sign-out. Every outcome that matters is written to the auth audit log, which also answers how
 * many sign-ins failed lately, so the limits hold across instances and restarts.
 */
import { randomBytes } from 'node:crypto';
import type { Tokens } from '../auth/tokens.js';
import { digest, newSecret, type Account, type AuthEventType } from './accountStore.js';
import type { AccountDirectory } from './directory.js';
import { decoyHash, verifyPassword } from './passwords.js';

export interface SessionOptions {
  readonly accessTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  /** A rotated token presented again within this time is a race between tabs, not reuse. */
  readonly reuseGraceMs?: number;
  /** Failed sign-ins per account, and per address, within `failureWindowMs`, before refusing. */
  readonly maxFailuresPerAccount?: number;
  readonly maxFailuresPerAddress?: number;
  readonly failureWindowMs?: number;
  readonly now?: () => number;
}

/** What a started or refreshed session hands to the client. */
export interface Issued {
  readonly account: Account;
  /** The new refresh token (absent when a racing refresh already rotated it). */
  readonly refreshToken: string | undefined;
  readonly accessToken: string;
  readonly accessExpiresAt: number;
  readonly sessionExpiresAt: number;
  readonly family: string;
}

export type Outcome =
  | { readonly ok: true; readonly issued: Issued }
  | { readonly ok: false; readonly status: 401 | 403 | 429; readonly error: string };

export class Sessions {
  private readonly now: () => number;
  private readonly grace: number;
  private readonly window: number;
  /** Password checks under way, per account and per address (`addr:…`). */
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly directory: AccountDirectory,
    private readonly tokens: Tokens,
    private readonly options: SessionOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.grace = options.reuseGraceMs ?? 10_000;
    this.window = options.failureWindowMs ?? 15 * 60_000;
  }

  private get store() {
    return this.directory.store;
  }

  audit(type: AuthEventType, subject: string, actor?: string, address?: string, detail?: string) {
    return this.store.record({ ts: this.now(), type, subject, actor, address, detail });
  }

  /**
   * How long sign-in stays closed for `subject` (0: open): after `threshold` failures within the
   * window, 30 s after the last one, doubling with each further failure, at most the window.
   * Attempts still being checked count as failures, so parallel guesses cannot outrun the log.
   */
  private async lockedFor(subject: string, threshold: number): Promise<number> {
    const now = this.now();
    const { count, last } = await this.store.recentFailures(subject, now - this.window);
    const checking = this.inFlight.get(subject) ?? 0;
    if (count + checking < threshold) return 0;
    if (last === undefined || count < threshold) return 30_000; // the parallel attempts decide
    const lock = Math.min(this.window, 30_000 * 2 ** Math.min(count - threshold, 20));
    return Math.max(0, last + lock - now);
  }

  private enter(subjects: readonly string[]): () => void {
    for (const s of subjects) this.inFlight.set(s, (this.inFlight.get(s) ?? 0) + 1);
    return () => {
      for (const s of subjects) {
        const left = (this.inFlight.get(s) ?? 1) - 1;
        if (left > 0) this.inFlight.set(s, left);
        else this.inFlight.delete(s);
      }
    };
  }

  /**
   * Checks a password with the limits and the audit of sign-in (ACC3): refused while the address
   * or the account is locked, every failure logged. `subject` is the account's id, or the email
   * typed when there is no such account.
   */
  private async checkPassword(
    subject: string,
    hash: string | undefined,
    password: string,
    address: string,
  ): Promise<{ ok: true } | { ok: false; status: 401 | 429; error: string }> {
    const wait = (ms: number) =>
      ms > 90_000 ? `${Math.ceil(ms / 60_000)} minutes` : `${Math.ceil(ms / 1000)} seconds`;
    const addressLock = await this.lockedFor(
      `addr:${address}`,
      this.options.maxFailuresPerAddress ?? 30,
    );
    if (addressLock > 0) {
      return {
        ok: false,
        status: 429,
        error: `Too many failed sign-ins from this address. Try again in ${wait(addressLock)}.`,
      };
    }
    const accountLock = await this.lockedFor(subject, this.options.maxFailuresPerAccount ?? 5);
    if (accountLock > 0) {
      return {
        ok: false,
        status: 429,
        error: `Too many failed sign-ins for this account. Try again in ${wait(accountLock)}, or ask an admin to reset the password.`,
      };
    }
    const leave = this.enter([subject, `addr:${address}`]);
    try {
      if (hash && (await verifyPassword(password, hash))) return { ok: true };
      if (!hash) await verifyPassword(password, await decoyHash());
      await this.audit('sign-in-failed', subject, undefined, address);
      await this.audit('sign-in-failed', `addr:${address}`, undefined, address, subject);
      return { ok: false, status: 401, error: 'Wrong email or password.' };
    } finally {
      leave();
    }
  }

  async signIn(email: string, password: string, address: string): Promise<Outcome> {
    const account = await this.store.byEmail(email);
    const subject = account?.id ?? `email:${email.trim().toLowerCase().slice(0, 320)}`;
    const checked = await this.checkPassword(subject, account?.passwordHash, password, address);
    if (!checked.ok) return checked;
    if (!account) return { ok: false, status: 401, error: 'Wrong email or password.' };
    if (account.disabled) {
      await this.audit('sign-in-failed', subject, undefined, address, 'account disabled');
      return { ok: false, status: 403, error: 'This account is disabled. Ask an admin.' };
    }
    return { ok: true, issued: await this.start(account, address) };
  }

  /** The signed-in person proves they know their password (to change it): limited like sign-in. */
  async confirmPassword(account: Account, password: string, address: string) {
    return this.checkPassword(account.id, account.passwordHash, password, address);
  }

  /** A new session for `account` (after a sign-in, first-run setup or a one-time link). */
  async start(account: Account, address: string, type: AuthEventType = 'sign-in'): Promise<Issued> {
    const family = randomBytes(12).toString('base64url');
    const { secret, hash } = newSecret();
    const now = this.now();
    const sessionExpiresAt = now + this.options.sessionTtlSeconds * 1000;
    await this.store.addSession({
      tokenHash: hash,
      family,
      userId: account.id,
      createdAt: now,
      expiresAt: sessionExpiresAt,
    });
    await this.audit(type, account.id, account.id, address);
    return this.issue(account, family, secret, sessionExpiresAt);
  }

  private async issue(
    account: Account,
    family: string,
    refreshToken: string | undefined,
    sessionExpiresAt: number,
  ): Promise<Issued> {
    const ttl = this.options.accessTtlSeconds;
    const accessToken = await this.tokens.sign(
      { sub: account.id, role: account.role, name: account.name, sid: family, sessionExpiresAt },
      ttl,
    );
    return {
      account,
      refreshToken,
      accessToken,
      accessExpiresAt: this.now() + ttl * 1000,
      sessionExpiresAt,
      family,
    };
  }

  /** Rotates the refresh token `secret`: a new refresh token and a new access token. */
  async refresh(secret: string, address: string): Promise<Outcome> {
    const refused = (error: string): Outcome => ({ ok: false, status: 401, error });
    const token = await this.store.sessionByHash(digest(secret));
    const now = this.now();
    if (!token) return refused('not signed in');
    if (token.revokedAt !== undefined) return refused('this session was signed out');
    if (token.expiresAt <= now) return refused('this session has expired: sign in again');
    const account = await this.store.byId(token.userId);
    if (!account) return refused('this account no longer exists');
    if (account.disabled) return refused('this account is disabled');
    if (token.rotatedAt !== undefined) {
      if (
        now - token.rotatedAt <= this.grace &&
        (await this.store.familyActive(token.family, now))
      ) {
        // Two tabs refreshed at once: the other one got the new cookie; this one gets access only.
        return {
          ok: true,
          issued: await this.issue(account, token.family, undefined, token.expiresAt),
        };
      }
      await this.store.revokeFamily(token.family, now);
      await this.audit(
        'session-reuse',
        account.id,
        undefined,
        address,
        'a replaced refresh token was used again; the session was revoked',
      );
      await this.directory.announce({ type: 'session', userId: account.id, family: token.family });
      return refused('this session was revoked because its token was used twice: sign in again');
    }
    const next = newSecret();
    const sessionExpiresAt = now + this.options.sessionTtlSeconds * 1000;
    const rotated = await this.store.rotateSession(
      token.tokenHash,
      {
        tokenHash: next.hash,
        family: token.family,
        userId: account.id,
        createdAt: now,
        expiresAt: sessionExpiresAt,
      },
      now,
    );
    if (!rotated) return this.refresh(secret, address); // another refresh won the race: see above
    return {
      ok: true,
      issued: await this.issue(account, token.family, next.secret, sessionExpiresAt),
    };
  }

  /**
   * Ends the session the refresh token `secret` belongs to, or else the session of the access
   * token the request was signed with.
   */
  async signOut(
    secret: string | undefined,
    current: { userId: string; family: string | undefined } | undefined,
    address: string,
  ): Promise<void> {
    const token = secret ? await this.store.sessionByHash(digest(secret)) : undefined;
    const family = token?.family ?? current?.family;
    const userId = token?.userId ?? current?.userId;
    if (!family || !userId) return;
    await this.store.revokeFamily(family, this.now());
    await this.audit('sign-out', userId, userId, address);
    await this.directory.announce({ type: 'session', userId, family });
  }

  /** Ends every session of a user (disabled, password changed). */
  async revokeAll(userId: string): Promise<void> {
    for (const family of await this.store.revokeUserSessions(userId, this.now()))
      await this.directory.announce({ type: 'session', userId, family });
  }
}
