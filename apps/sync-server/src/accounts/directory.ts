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
const READ_ATTEMPTS = 3;

export class AccountDirectory {
  /** Answers of the last `cacheMs`: expired ones are dropped, not kept (expiringCache.ts). */
  private readonly accounts: ExpiringCache<Account | undefined>;
  private readonly families: ExpiringCache<boolean>;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<(change: AccountChange) => void>();
  /** Announcements heard so far (see readAcrossChanges). */
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
    const { value, settled } = await this.readAcrossChanges(() => this.store.byId(id));
    if (settled) this.accounts.set(id, value);
    return value;
  }

  private async familyActive(family: string): Promise<boolean> {
    const hit = this.families.get(family);
    if (hit) return hit.value;
    const { value, settled } = await this.readAcrossChanges(() =>
      this.store.familyActive(family, this.now()),
    );
    if (settled) this.families.set(family, value);
    return value;
  }

  /**
   * A store read that no announcement overtook: one that arrived meanwhile may have dropped the
   * cache before the read saw the change, so the read is made again (a few times at most; the
   * last answer is returned uncached if changes keep coming).
   */
  private async readAcrossChanges<T>(
    read: () => Promise<T>,
  ): Promise<{ value: T; settled: boolean }> {
    for (let attempt = 1; ; attempt++) {
      const before = this.changes;
      const value = await read();
      const settled = this.changes === before;
      if (settled || attempt === READ_ATTEMPTS) return { value, settled };
    }
  }

  /** The user a verified token stands for now, or why they are refused. */
  async admit(user: User): Promise<VerifyResult> {
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
