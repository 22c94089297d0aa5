/**
 * One contract for every AccountStore (SPEC ACC1–ACC3): the SQLite and PostgreSQL stores run the
 * same suite (accountStore.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmailTaken,
  newSecret,
  newUserId,
  type AccountStore,
  type NewAccount,
} from '../src/accounts/accountStore.js';

const person = (email: string, name = email.split('@')[0]!): NewAccount => ({
  id: newUserId(),
  email,
  name,
  role: 'editor',
  passwordHash: 'scrypt$15$8$1$salt$hash',
});

export function runAccountStoreContract(label: string, open: () => Promise<AccountStore>): void {
  describe(`AccountStore contract: ${label}`, () => {
    let store: AccountStore;
    afterEach(async () => {
      await store?.close();
    });

    it('ACC1: emails are unique without regard to case, and found without regard to case', async () => {
      store = await open();
      const ana = await store.create(person('Ana@Example.com', 'Ana'), 1_000);
      expect(ana).toMatchObject({ email: 'Ana@Example.com', disabled: false, createdAt: 1_000 });
      await expect(store.create(person('ana@example.COM'), 1_001)).rejects.toBeInstanceOf(
        EmailTaken,
      );
      expect((await store.byEmail(' ANA@example.com '))?.id).toBe(ana.id);
      expect(await store.byId(ana.id)).toEqual(ana);
      expect(await store.countAccounts()).toBe(1);
    });

    it('ACC1: the first account is created only while there is none', async () => {
      store = await open();
      const results = await Promise.all([
        store.createFirst(person('one@example.com'), 1),
        store.createFirst(person('two@example.com'), 1),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.countAccounts()).toBe(1);
      expect(await store.createFirst(person('three@example.com'), 2)).toBe(false);
    });

    it('ACC1: list is ordered by email, pages by the last email, and searches email and name (LIKE characters are literal)', async () => {
      store = await open();
      for (const e of ['c@x.io', 'a@x.io', 'b_1@x.io', 'bx1@x.io', 'd@y.io'])
        await store.create(person(e, e === 'd@y.io' ? 'Dora Percent%' : e), 5);
      const first = await store.list({ limit: 2 });
      expect(first.map((a) => a.email)).toEqual(['a@x.io', 'b_1@x.io']);
      const second = await store.list({ limit: 2, after: first[1]!.email });
      expect(second.map((a) => a.email)).toEqual(['bx1@x.io', 'c@x.io']);
      expect((await store.list({ limit: 10, search: 'B_1' })).map((a) => a.email)).toEqual([
        'b_1@x.io',
      ]);
      expect((await store.list({ limit: 10, search: 'percent%' })).map((a) => a.email)).toEqual([
        'd@y.io',
      ]);
      expect(await store.list({ limit: 10, search: '%' })).toHaveLength(1);
    });

    it('ACC1: update changes only what it names and stamps the time', async () => {
      store = await open();
      const a = await store.create(person('u@x.io', 'U'), 10);
      const b = await store.update(a.id, { role: 'viewer', disabled: true }, 20);
      expect(b).toMatchObject({
        name: 'U',
        role: 'viewer',
        disabled: true,
        updatedAt: 20,
        createdAt: 10,
      });
      expect(await store.countActiveAdmins()).toBe(0);
      await store.update(a.id, { role: 'admin' }, 21);
      expect(await store.countActiveAdmins()).toBe(0); // disabled
      await store.update(a.id, { disabled: false }, 22);
      expect(await store.countActiveAdmins()).toBe(1);
      const c = await store.update(a.id, { passwordHash: 'new', role: 'viewer', name: 'V' }, 30);
      expect(c).toMatchObject({ name: 'V', role: 'viewer', disabled: false, passwordHash: 'new' });
      expect(await store.update('u-missing', { role: 'admin' }, 40)).toBeUndefined();
    });

    it('ACC3: a refresh token rotates once; the family stays active through its current token', async () => {
      store = await open();
      const one = newSecret();
      const two = newSecret();
      const three = newSecret();
      await store.addSession({
        tokenHash: one.hash,
        family: 'fam-aaaa',
        userId: 'u1',
        createdAt: 1,
        expiresAt: 1_000,
      });
      expect(await store.familyActive('fam-aaaa', 10)).toBe(true);
      const next = { family: 'fam-aaaa', userId: 'u1', createdAt: 10, expiresAt: 2_000 };
      const raced = await Promise.all([
        store.rotateSession(one.hash, { ...next, tokenHash: two.hash }, 10),
        store.rotateSession(one.hash, { ...next, tokenHash: three.hash }, 10),
      ]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      const winner = raced[0] ? two : three;
      expect(await store.sessionByHash(one.hash)).toMatchObject({
        rotatedAt: 10,
        revokedAt: undefined,
      });
      expect(await store.sessionByHash(winner.hash)).toMatchObject({
        family: 'fam-aaaa',
        rotatedAt: undefined,
      });
      expect(await store.familyActive('fam-aaaa', 1_500)).toBe(true);
      expect(await store.familyActive('fam-aaaa', 2_000)).toBe(false); // expired
      await store.revokeFamily('fam-aaaa', 20);
      expect(await store.familyActive('fam-aaaa', 30)).toBe(false);
      expect(
        await store.rotateSession(winner.hash, { ...next, tokenHash: newSecret().hash }, 40),
      ).toBe(false);
    });

    it("ACC3: revoking a user's sessions names the families that were active and leaves others alone", async () => {
      store = await open();
      const s = (family: string, userId: string, expiresAt = 1_000) =>
        store.addSession({ tokenHash: newSecret().hash, family, userId, createdAt: 1, expiresAt });
      await s('fam-a1', 'u1');
      await s('fam-a2', 'u1');
      await s('fam-old', 'u1', 5);
      await s('fam-b1', 'u2');
      expect((await store.revokeUserSessions('u1', 10)).sort()).toEqual(['fam-a1', 'fam-a2']);
      expect(await store.familyActive('fam-a1', 11)).toBe(false);
      expect(await store.familyActive('fam-b1', 11)).toBe(true);
    });

    it('ACC7: a one-time link works once, and not after it expires', async () => {
      store = await open();
      const link = newSecret();
      const late = newSecret();
      await store.addLink({
        tokenHash: link.hash,
        userId: 'u1',
        purpose: 'invite',
        expiresAt: 100,
      });
      await store.addLink({ tokenHash: late.hash, userId: 'u1', purpose: 'reset', expiresAt: 100 });
      expect(await store.useLink(link.hash, 50)).toMatchObject({
        userId: 'u1',
        purpose: 'invite',
        usedAt: 50,
      });
      expect(await store.useLink(link.hash, 51)).toBeUndefined();
      expect(await store.useLink(late.hash, 100)).toBeUndefined();
      expect(await store.useLink(newSecret().hash, 1)).toBeUndefined();
      const revoked = newSecret();
      const other = newSecret();
      await store.addLink({
        tokenHash: revoked.hash,
        userId: 'u1',
        purpose: 'reset',
        expiresAt: 100,
      });
      await store.addLink({
        tokenHash: other.hash,
        userId: 'u2',
        purpose: 'reset',
        expiresAt: 100,
      });
      await store.revokeLinks('u1', 60);
      expect(await store.useLink(revoked.hash, 61)).toBeUndefined();
      expect(await store.useLink(other.hash, 61)).toMatchObject({ userId: 'u2' });
    });

    it('ACC2: the audit log pages newest first and counts failures since the last success', async () => {
      store = await open();
      const ev = (ts: number, type: 'sign-in' | 'sign-in-failed', subject = 'u1') =>
        store.record({
          ts,
          type,
          subject,
          actor: undefined,
          address: '10.0.0.1',
          detail: undefined,
        });
      await ev(1, 'sign-in-failed');
      await ev(2, 'sign-in-failed');
      await ev(3, 'sign-in');
      await ev(4, 'sign-in-failed');
      await ev(5, 'sign-in-failed', 'u2');
      expect(await store.recentFailures('u1', 0)).toEqual({ count: 1, last: 4 });
      expect(await store.recentFailures('u2', 0)).toEqual({ count: 1, last: 5 });
      expect(await store.recentFailures('u2', 5)).toEqual({ count: 0, last: undefined });
      expect(await store.recentFailures('u3', 0)).toEqual({ count: 0, last: undefined });
      const page = await store.events({ limit: 2 });
      expect(page.map((e) => e.ts)).toEqual([5, 4]);
      const rest = await store.events({ limit: 10, before: page[1]!.seq });
      expect(rest.map((e) => e.ts)).toEqual([3, 2, 1]);
      expect((await store.events({ limit: 10, subject: 'u2' })).map((e) => e.type)).toEqual([
        'sign-in-failed',
      ]);
      expect(rest[0]).toMatchObject({
        type: 'sign-in',
        subject: 'u1',
        address: '10.0.0.1',
        actor: undefined,
      });
    });
  });
}
