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
async function held(store: HeldReads, count = 1): Promise<void> {
  for (let turn = 0; store.waiting < count; turn++) {
    if (turn > 1_000) throw new Error('the read was never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const DISABLED = { ok: false, error: 'this account is disabled' };
const SIGNED_OUT = { ok: false, error: 'this session was signed out or has expired' };

describe('account directory and announcements', () => {
  const closing: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  async function setup() {
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
    const { store, directory, id } = await setup();
    store.holding = 'account';
    const first = directory.admit(someone(id));
    await held(store);
    store.holding = undefined;
    // The change is stored and announced while the read above holds the old answer.
    await store.update(id, { disabled: true }, Date.now());
    await directory.announce({ type: 'account', userId: id });
    store.release();
    // The admit the announcement overtook is worked out again: it sees the change.
    expect(await first).toEqual(DISABLED);
    expect(await directory.admit(someone(id))).toEqual(DISABLED);
  });

  it('ACC6: an account disabled while the session was being checked is refused too', async () => {
    const { store, directory, id, family } = await setup();
    store.holding = 'session';
    // The account is read cleanly; the change lands during the session check that follows.
    const checking = directory.admit(someone(id, family));
    await held(store);
    store.holding = undefined;
    await store.update(id, { disabled: true }, Date.now());
    await directory.announce({ type: 'account', userId: id });
    store.release();
    expect(await checking).toEqual(DISABLED);
  });

  it('ACC6: a session signed out while it was being checked is refused from then on', async () => {
    const { store, directory, id, family } = await setup();
    await directory.account(id); // cached: only the session check reaches the store
    store.holding = 'session';
    const checking = directory.admit(someone(id, family));
    await held(store);
    store.holding = undefined;
    await store.revokeFamily(family, Date.now());
    await directory.announce({ type: 'session', userId: id, family });
    store.release();
    expect(await checking).toEqual(SIGNED_OUT);
    expect(await directory.admit(someone(id, family))).toEqual(SIGNED_OUT);
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
