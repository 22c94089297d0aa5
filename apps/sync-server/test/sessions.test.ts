/**
 * Sign-in limits over time (SPEC ACC3), with a clock the test moves: after 5 failures an account
 * is closed for 30 s after the last one, doubling with each further failure; a success resets it.
 */
import { describe, expect, it } from 'vitest';
import { InProcessAccountEvents } from '../src/accounts/accountEvents.js';
import { newUserId } from '../src/accounts/accountStore.js';
import { AccountDirectory } from '../src/accounts/directory.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { Sessions } from '../src/accounts/sessions.js';
import { SqliteAccountStore } from '../src/accounts/sqliteAccountStore.js';
import { Tokens } from '../src/auth/tokens.js';

describe('sign-in lockout with backoff', () => {
  it('ACC3: 30 s after the 5th failure, 60 s after the 6th; a success starts over; other accounts are unaffected', async () => {
    let now = 1_700_000_000_000;
    const store = new SqliteAccountStore(':memory:');
    const directory = new AccountDirectory(store, new InProcessAccountEvents(), { now: () => now });
    const sessions = new Sessions(directory, new Tokens('x'.repeat(32)), {
      accessTtlSeconds: 60,
      sessionTtlSeconds: 3600,
      now: () => now,
    });
    const hash = await hashPassword('right-password');
    await store.create(
      { id: newUserId(), email: 'a@x.io', name: 'A', role: 'editor', passwordHash: hash },
      now,
    );
    await store.create(
      { id: newUserId(), email: 'b@x.io', name: 'B', role: 'editor', passwordHash: hash },
      now,
    );
    const attempt = async (password: string, email = 'a@x.io') => {
      const outcome = await sessions.signIn(email, password, '10.0.0.1');
      return outcome.ok ? 200 : `${outcome.status} ${outcome.error}`;
    };
    for (let i = 0; i < 5; i++) expect(await attempt('wrong')).toMatch(/^401/);
    expect(await attempt('right-password')).toMatch(/^429 .*Try again in 30 seconds/);
    expect(await attempt('right-password', 'b@x.io')).toBe(200);
    now += 29_000;
    expect(await attempt('right-password')).toMatch(
      /^429 .*1 seconds|^429 .*Try again in 1 seconds/,
    );
    now += 2_000;
    expect(await attempt('wrong')).toMatch(/^401/); // the 6th failure
    expect(await attempt('right-password')).toMatch(/^429 .*Try again in 60 seconds/);
    now += 61_000;
    expect(await attempt('right-password')).toBe(200);
    expect(await attempt('wrong')).toMatch(/^401/);
    expect(await attempt('right-password')).toBe(200);
    await store.close();
  });
});
