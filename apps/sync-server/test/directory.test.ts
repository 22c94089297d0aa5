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

type Read = 'account' | 'session';

/** The store with reads of one kind held until the test lets them go; reads counted. */
class HeldReads extends SqliteAccountStore {
  private held: (() => void)[] = [];
  holding: Read | undefined;
  readonly reads = { account: 0, session: 0 };

  private async hold(read: Read): Promise<void> {
    this.reads[read] += 1;
    if (this.holding === read) await new Promise<void>((resolve) => this.held.push(resolve));
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
    await this.hold('account');
    return answer;
  }

  override async familyActive(family: string, now: number) {
    const answer = await super.familyActive(family, now);
    await this.hold('session');
    return answer;
  }
}

function someone(id: string, sessionId?: string): User {
  return {
    id,
    name: 'A',
    role: 'editor',
    expiresAt: Date.now() + 60_000,
    ...(sessionId ? { sessionId } : {}),
  };
}

/** Waits (a bounded number of turns) until a read is held. */
async function held(store: HeldReads): Promise<void> {
  for (let turn = 0; store.waiting === 0; turn++) {
    if (turn > 1_000) throw new Error('the read was never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Setup {
  readonly store: HeldReads;
  readonly directory: AccountDirectory;
  readonly id: string;
  readonly family: string;
}

/** Admits `user` while a read of `read` is held open and `change` is stored and announced. */
async function admitAcross(t: Setup, read: Read, user: User, change: (t: Setup) => Promise<void>) {
  t.store.holding = read;
  const admitting = t.directory.admit(user);
  await held(t.store);
  t.store.holding = undefined;
  await change(t);
  t.store.release();
  return admitting;
}

async function disable({ store, directory, id }: Setup): Promise<void> {
  await store.update(id, { disabled: true }, Date.now());
  await directory.announce({ type: 'account', userId: id });
}

async function signOut({ store, directory, id, family }: Setup): Promise<void> {
  await store.revokeFamily(family, Date.now());
  await directory.announce({ type: 'session', userId: id, family });
}

const DISABLED = { ok: false, error: 'this account is disabled' };
const SIGNED_OUT = { ok: false, error: 'this session was signed out or has expired' };

describe('account directory and announcements', () => {
  const closing: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  async function setup(): Promise<Setup> {
    const store = new HeldReads(':memory:');
    const directory = new AccountDirectory(store, new InProcessAccountEvents());
    closing.push(
      () => store.close(),
      () => directory.close(),
    );
    const id = newUserId();
    await store.create(
      { id, email: 'a@x.io', name: 'A', role: 'editor', passwordHash: undefined },
      Date.now(),
    );
    const family = 'family-1';
    const now = Date.now();
    await store.addSession({
      tokenHash: 'h1',
      family,
      userId: id,
      createdAt: now,
      expiresAt: now + 3_600_000,
    });
    return { store, directory, id, family };
  }

  it('ACC6: an account disabled while its answer was being read is refused at once, not after the cache time', async () => {
    const t = await setup();
    // The change is stored and announced while the account read holds the old answer; the admit
    // it overtook is worked out again and sees the change.
    expect(await admitAcross(t, 'account', someone(t.id), disable)).toEqual(DISABLED);
    expect(await t.directory.admit(someone(t.id))).toEqual(DISABLED);
  });

  it('ACC6: an account disabled while the session was being checked is refused too', async () => {
    const t = await setup();
    // The account is read cleanly; the change lands during the session check that follows.
    const user = someone(t.id, t.family);
    expect(await admitAcross(t, 'session', user, disable)).toEqual(DISABLED);
  });

  it('ACC6: a session signed out while it was being checked is refused from then on', async () => {
    const t = await setup();
    await t.directory.account(t.id); // cached: only the session check reaches the store
    const user = someone(t.id, t.family);
    expect(await admitAcross(t, 'session', user, signOut)).toEqual(SIGNED_OUT);
    expect(await t.directory.admit(user)).toEqual(SIGNED_OUT);
  });

  it('ACC6: under a stream of announcements an admit ends after three tries, and keeps nothing it read', async () => {
    const { store, directory, id } = await setup();
    store.holding = 'account';
    const admitting = directory.admit(someone(id));
    for (let read = 1; read <= 3; read++) {
      await held(store);
      await directory.announce({ type: 'account', userId: 'someone-else' });
      store.release();
    }
    expect((await admitting).ok).toBe(true);
    expect(store.reads.account).toBe(3);
    store.holding = undefined;
    // None of the three answers was cached: the next admit reads the store again, and keeps it.
    await directory.admit(someone(id));
    await directory.admit(someone(id));
    expect(store.reads.account).toBe(4);
  });
});
