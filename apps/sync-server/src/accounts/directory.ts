/**
 * The current state of accounts and sessions, as every authenticated request and connection sees
 * it (SPEC ACC5–ACC6). A token says who someone was when it was issued; the directory says what
 * they may do now: a disabled account or a revoked session is refused, and the role and name come
 * from the account, not from the token. Answers are cached for a few seconds and dropped at once
 * when an account change is announced, so a change applies on every instance within a second (and
 * within the cache time even if an announcement is lost).
 *
 * Tokens whose subject has no account are service tokens signed with the server's secret (API
 * clients, tests, the operator's tools): they are taken as they are, unless they claim a session.
 */
import type { User, VerifyResult } from '../auth/tokens.js';
import type { Account, AccountStore } from './accountStore.js';
import type { AccountChange, AccountEvents } from './accountEvents.js';
import { ExpiringCache } from './expiringCache.js';

export interface DirectoryOptions {
  /** How long an answer is reused without an announcement (default 5 s). */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

const MAX_CACHED = 10_000;
const ADMIT_ATTEMPTS = 3;

export class AccountDirectory {
  /** Answers of the last `cacheMs`: expired ones are dropped, not kept (expiringCache.ts). */
  private readonly accounts: ExpiringCache<Account | undefined>;
  private readonly families: ExpiringCache<boolean>;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<(change: AccountChange) => void>();
  /** Announcements heard so far: a read that one overtook is not cached, an admit is redone. */
  private changes = 0;

  constructor(
    readonly store: AccountStore,
    private readonly events: AccountEvents,
    options: DirectoryOptions = {},
  ) {
    const cacheMs = options.cacheMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.accounts = new ExpiringCache(cacheMs, MAX_CACHED, this.now);
    this.families = new ExpiringCache(cacheMs, MAX_CACHED, this.now);
    this.unsubscribe = events.subscribe((change) => {
      this.changes += 1;
      this.accounts.delete(change.userId);
      if (change.type === 'session') this.families.delete(change.family);
      for (const listener of [...this.listeners]) listener(change);
    });
  }

  /** Announce a change to every instance (after it is stored). */
  announce(change: AccountChange): Promise<void> {
    return this.events.publish(change);
  }

  /** Called after the caches dropped what the change made stale. */
  onChange(listener: (change: AccountChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async account(id: string): Promise<Account | undefined> {
    const hit = this.accounts.get(id);
    if (hit) return hit.value;
    const before = this.changes;
    const account = await this.store.byId(id);
    // An announcement during the read may have dropped the cache before the read saw the change.
    if (this.changes === before) this.accounts.set(id, account);
    return account;
  }

  private async familyActive(family: string): Promise<boolean> {
    const hit = this.families.get(family);
    if (hit) return hit.value;
    const before = this.changes;
    const active = await this.store.familyActive(family, this.now());
    if (this.changes === before) this.families.set(family, active);
    return active;
  }

  /**
   * The user a verified token stands for now, or why they are refused. An answer that an
   * announcement overtook may predate the change, so it is worked out again (a few times at
   * most: under a stream of changes the last answer stands, and the 30 s recheck follows).
   */
  async admit(user: User): Promise<VerifyResult> {
    for (let attempt = 1; ; attempt++) {
      const before = this.changes;
      const verdict = await this.check(user);
      if (this.changes === before || attempt === ADMIT_ATTEMPTS) return verdict;
    }
  }

  private async check(user: User): Promise<VerifyResult> {
    const account = await this.account(user.id);
    if (!account) {
      return user.sessionId
        ? { ok: false, error: 'this account no longer exists' }
        : { ok: true, user };
    }
    if (account.disabled) return { ok: false, error: 'this account is disabled' };
    if (user.sessionId && !(await this.familyActive(user.sessionId)))
      return { ok: false, error: 'this session was signed out or has expired' };
    return { ok: true, user: { ...user, role: account.role, name: account.name } };
  }

  close(): void {
    this.unsubscribe();
    this.accounts.close();
    this.families.close();
    this.listeners.clear();
  }
}
