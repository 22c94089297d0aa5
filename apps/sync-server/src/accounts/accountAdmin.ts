/**
 * Changing accounts (SPEC ACC1, ACC5–ACC7): first-run setup, creating people, changing role,
 * name, disabled or password, and one-time links (invitations, password resets). Every change is
 * stored, audited and then announced, so it applies live on every instance.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Role } from '@concord/shared';
import { cleanName } from '../auth/tokens.js';
import {
  EmailTaken,
  digest,
  newSecret,
  newUserId,
  type Account,
  type AccountPatch,
} from './accountStore.js';
import type { AccountDirectory } from './directory.js';
import { hashPassword, passwordProblem } from './passwords.js';
import type { Sessions } from './sessions.js';

export class AccountError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 429,
    message: string,
  ) {
    super(message);
  }
}

export interface NewPerson {
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  /** Absent: the person is invited with a one-time link and chooses a password there. */
  readonly password?: string;
}

const LINK_TTL_MS = 7 * 86_400_000;

export class AccountAdmin {
  /** The first-run code while no account exists (printed by main.ts). */
  private setupCode: string | undefined;

  constructor(
    private readonly directory: AccountDirectory,
    private readonly sessions: Sessions,
    /**
     * Writes an account's name and email into its profile document (`profile:<id>`), as an edit
     * by `actor`: display names come from the account. Failures are logged, not thrown: the
     * account change stands and the next rename writes the profile again.
     */
    private readonly onNamed: (account: Account, actor: Account) => Promise<void> = async () => {},
    private readonly now: () => number = Date.now,
  ) {}

  private async named(account: Account, actorId: string): Promise<void> {
    const actor = actorId === account.id ? account : await this.store.byId(actorId);
    if (actor) await this.onNamed(account, actor);
  }

  private get store() {
    return this.directory.store;
  }

  /** A one-time setup code when no account exists yet, else undefined. */
  async setupRequired(code?: string): Promise<string | undefined> {
    if ((await this.store.countAccounts()) > 0) {
      this.setupCode = undefined;
      return undefined;
    }
    this.setupCode ??= code ?? newSecret().secret.slice(0, 24);
    return this.setupCode;
  }

  /** First-run: create the first administrator, if `code` is the setup code. */
  async setup(code: string, person: NewPerson, address: string): Promise<Account> {
    const expected = this.setupCode;
    const given = Buffer.from(code);
    if (
      !expected ||
      given.length !== expected.length ||
      !timingSafeEqual(given, Buffer.from(expected))
    )
      throw new AccountError(
        403,
        'wrong or expired setup code: use the link the server printed when it started',
      );
    const account = await this.newAccount({ ...person, role: 'admin' });
    if (!(await this.store.createFirst(account, this.now())))
      throw new AccountError(409, 'an administrator exists already: sign in');
    this.setupCode = undefined;
    await this.sessions.audit('setup', account.id, account.id, address);
    const created = (await this.store.byId(account.id))!;
    await this.named(created, created.id);
    return created;
  }

  private async newAccount(person: NewPerson) {
    const name = cleanName(person.name);
    if (!name) throw new AccountError(400, 'a name is needed');
    if (person.password !== undefined) {
      const problem = passwordProblem(person.password);
      if (problem) throw new AccountError(400, problem);
    }
    return {
      id: newUserId(),
      email: person.email,
      name,
      role: person.role,
      passwordHash: person.password === undefined ? undefined : await hashPassword(person.password),
    };
  }

  /** An admin creates someone; without a password, the answer carries an invitation link token. */
  async create(actor: string, person: NewPerson): Promise<{ account: Account; link?: string }> {
    let account: Account;
    try {
      account = await this.store.create(await this.newAccount(person), this.now());
    } catch (error) {
      if (error instanceof EmailTaken) throw new AccountError(409, error.message);
      throw error;
    }
    await this.sessions.audit(
      'account-created',
      account.id,
      actor,
      undefined,
      `${account.email} as ${account.role}`,
    );
    await this.named(account, actor);
    if (person.password !== undefined) return { account };
    return { account, link: await this.link(actor, account.id, 'invite') };
  }

  /** A one-time link token to choose a password (invite) or a new one (reset). */
  async link(actor: string, userId: string, purpose: 'invite' | 'reset'): Promise<string> {
    if (!(await this.store.byId(userId))) throw new AccountError(404, 'no such account');
    const { secret, hash } = newSecret();
    await this.store.addLink({
      tokenHash: hash,
      userId,
      purpose,
      expiresAt: this.now() + LINK_TTL_MS,
    });
    await this.sessions.audit('link-created', userId, actor, undefined, purpose);
    return secret;
  }

  /** Sets the password through a one-time link; the person is then signed in. */
  async useLink(secret: string, password: string): Promise<Account> {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError(400, problem);
    const link = await this.store.useLink(digest(secret), this.now());
    if (!link)
      throw new AccountError(
        403,
        'this link was used already or has expired: ask an admin for a new one',
      );
    return this.setPassword(link.userId, link.userId, password);
  }

  /** The signed-in person changes their own password, knowing the current one (limited, audited). */
  async changeOwnPassword(
    userId: string,
    current: string,
    next: string,
    address: string,
  ): Promise<Account> {
    const account = await this.store.byId(userId);
    if (!account?.passwordHash)
      throw new AccountError(403, 'this account has no password to change');
    const checked = await this.sessions.confirmPassword(account, current, address);
    if (!checked.ok)
      throw new AccountError(
        checked.status === 429 ? 429 : 403,
        checked.status === 429 ? checked.error : 'the current password is wrong',
      );
    return this.setPassword(userId, userId, next);
  }

  private async setPassword(actor: string, userId: string, password: string): Promise<Account> {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError(400, problem);
    const account = await this.update(actor, userId, {
      passwordHash: await hashPassword(password),
    });
    return account;
  }

  /**
   * Changes an account. An admin cannot demote or disable themselves (so one admin always
   * remains); disabling or a new password ends the person's sessions.
   */
  async update(
    actor: string,
    userId: string,
    patch: AccountPatch & { password?: string },
  ): Promise<Account> {
    const before = await this.store.byId(userId);
    if (!before) throw new AccountError(404, 'no such account');
    if (
      actor === userId &&
      ((patch.role && patch.role !== 'admin' && before.role === 'admin') || patch.disabled)
    )
      throw new AccountError(403, 'you cannot demote or disable yourself: ask another admin');
    // One enabled admin always remains: demoting or disabling the last one is refused.
    const losesAdmin =
      before.role === 'admin' &&
      !before.disabled &&
      ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
    if (losesAdmin && (await this.store.countActiveAdmins()) <= 1)
      throw new AccountError(409, 'this is the last admin: make someone else an admin first');
    const { password, ...rest } = patch;
    const change: AccountPatch = { ...rest };
    if (password !== undefined) {
      const problem = passwordProblem(password);
      if (problem) throw new AccountError(400, problem);
      Object.assign(change, { passwordHash: await hashPassword(password) });
    }
    if (change.name !== undefined) {
      const name = cleanName(change.name);
      if (!name) throw new AccountError(400, 'a name is needed');
      Object.assign(change, { name });
    }
    const after = (await this.store.update(userId, change, this.now()))!;
    const audit = (type: Parameters<Sessions['audit']>[0], detail?: string) =>
      this.sessions.audit(type, userId, actor, undefined, detail);
    if (change.role !== undefined && change.role !== before.role)
      await audit('role-changed', `${before.role} → ${change.role}`);
    if (change.disabled !== undefined && change.disabled !== before.disabled)
      await audit(change.disabled ? 'disabled' : 'enabled');
    if (change.name !== undefined && change.name !== before.name) {
      await audit('name-changed');
      await this.named(after, actor);
    }
    if (change.passwordHash !== undefined) await audit('password-changed');
    if (change.disabled || change.passwordHash !== undefined) {
      await this.sessions.revokeAll(userId);
      // A link made before is for the account as it was: it no longer works.
      await this.store.revokeLinks(userId, this.now());
    }
    await this.directory.announce({ type: 'account', userId });
    return after;
  }
}
