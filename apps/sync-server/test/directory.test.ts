/**
 * The account directory against announcements that race its store reads (SPEC ACC6): an account
 * disabled (or a session signed out) while its answer is being read must not be hidden behind
 * that answer for the cache's lifetime. The store is the real SQLite one; its reads are held
 * open by the test so the announcement lands in the middle of one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessAccountEvents } from '../src/accounts/accountEvents.js';
import { newUserId } from '../src/accounts/accountStore.js';
import { AccountDirectory } from '../src/accounts/directory.js';
import { SqliteAccountStore } from '../src/accounts/sqliteAccountStore.js';
import type { User } from '../src/auth/tokens.js';

/** The store with its reads of one kind held until the test lets the next one go. */
class HeldReads extends SqliteAccountStore {
  private held: (() => void)[] = [];
  holding = false;

  private async hold(): Promise<void> {
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
  }

  /** Lets the held reads finish (with the answer they read before being held). */
  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  get waiting(): number {
    return this.held.length;
  }

  override async byId(id: string) {
    const answer = await super.byId(id);
    await this.hold();
    return answer;
  }

  override async familyActive(family: string, now: number) {
    const answer = await super.familyActive(family, now);
    await this.hold();
    return answer;
  }
}

function someone(id: string): User {
  return { id, name: 'A', role: 'editor', expiresAt: Date.now() + 60_000 };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('account directory and announcements', () => {
  const stores: SqliteAccountStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  async function setup() {
    const store = new HeldReads(':memory:');
    stores.push(store);
    const events = new InProcessAccountEvents();
    const directory = new AccountDirectory(store, events);
    const id = newUserId();
    await store.create(
      { id, email: 'a@x.io', name: 'A', role: 'editor', passwordHash: undefined },
      Date.now(),
    );
    return { store, directory, id };
  }

  it('ACC6: an account disabled while its answer was being read is refused at once, not after the cache time', async () => {
    const { store, directory, id } = await setup();
    store.holding = true;
    const first = directory.admit(someone(id));
    await until(() => store.waiting === 1);
    store.holding = false;
    // The change is stored and announced while the read above holds the old answer.
    await store.update(id, { disabled: true }, Date.now());
    await directory.announce({ type: 'account', userId: id });
    store.release();
    // The read overtaken by the announcement is made again: it sees the change.
    expect(await first).toEqual({ ok: false, error: 'this account is disabled' });
    expect(await directory.admit(someone(id))).toEqual({
      ok: false,
      error: 'this account is disabled',
    });
    directory.close();
  });

  it('ACC6: a session signed out while it was being checked is refused from then on', async () => {
    const { store, directory, id } = await setup();
    const family = 'family-1';
    const now = Date.now();
    await store.addSession({
      tokenHash: 'h1',
      family,
      userId: id,
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
    const user = { ...someone(id), sessionId: family };
    expect((await directory.admit(user)).ok).toBe(true);
    // The account answer is cached now; only the session check reaches the store.
    const fresh = new AccountDirectory(store, new InProcessAccountEvents());
    await fresh.account(id);
    store.holding = true;
    const checking = fresh.admit(user);
    await until(() => store.waiting === 1);
    store.holding = false;
    await store.revokeFamily(family, Date.now());
    await fresh.announce({ type: 'session', userId: id, family });
    store.release();
    expect(await checking).toEqual({
      ok: false,
      error: 'this session was signed out or has expired',
    });
    expect(await fresh.admit(user)).toEqual({
      ok: false,
      error: 'this session was signed out or has expired',
    });
    directory.close();
    fresh.close();
  });
});
