/**
 * Single sign-on (SPEC ACC8): access tokens from an external OpenID Connect provider, verified
 * with `jose` against the issuer's published keys (JWKS, found through the issuer's discovery
 * document unless OIDC_JWKS_URL names it), for the configured issuer and audience. The person gets
 * an account of their own on first use (id `o-` + a digest of issuer and subject), so an admin can
 * see and disable them; their role follows the provider's claim through the configured mapping.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Role } from '@concord/shared';
import { cleanName, type User, type VerifyResult } from '../auth/tokens.js';
import { EmailTaken } from './accountStore.js';
import type { AccountDirectory } from './directory.js';

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  /** Where the keys are; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  readonly jwksUrl?: string;
  /** The claim holding the person's roles or groups (a string or an array of strings). */
  readonly roleClaim: string;
  /** Claim value → role, e.g. { "concord-admins": "admin" }; the highest role found wins. */
  readonly roleMap: Readonly<Record<string, Role>>;
  /** The role of someone none of whose values is mapped; undefined: they are refused. */
  readonly defaultRole: Role | undefined;
}

/** `a=admin,b=editor` → { a: 'admin', b: 'editor' }. */
export function parseRoleMap(text: string | undefined): Record<string, Role> {
  const map = Object.create(null) as Record<string, Role>;
  for (const pair of (text ?? '').split(',')) {
    const [value, role] = pair.split('=').map((s) => s.trim());
    if (!value || !role) continue;
    if (!(ROLES as readonly string[]).includes(role))
      throw new Error(`OIDC_ROLE_MAP: "${role}" is not a role (viewer, editor, admin)`);
    map[value] = role as Role;
  }
  return map;
}

const rank = (role: Role) => ROLES.indexOf(role);

export class OidcVerifier {
  private keys: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly config: OidcConfig,
    private readonly directory: AccountDirectory,
    private readonly now: () => number = Date.now,
  ) {}

  private async jwks() {
    if (this.keys) return this.keys;
    let url = this.config.jwksUrl;
    if (!url) {
      const res = await fetch(
        `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
        {
          signal: AbortSignal.timeout(5_000),
        },
      );
      const discovery = (await res.json()) as { jwks_uri?: unknown };
      if (!res.ok || typeof discovery.jwks_uri !== 'string')
        throw new Error('OIDC discovery failed');
      url = discovery.jwks_uri;
    }
    this.keys = createRemoteJWKSet(new URL(url), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
    });
    return this.keys;
  }

  roleOf(payload: JWTPayload): Role | undefined {
    const raw = payload[this.config.roleClaim];
    const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    let best: Role | undefined;
    for (const v of values) {
      // Own keys only: a claim value such as "constructor" is not a role.
      const mapped =
        typeof v === 'string' && Object.hasOwn(this.config.roleMap, v)
          ? this.config.roleMap[v]
          : undefined;
      const role = mapped && (ROLES as readonly string[]).includes(mapped) ? mapped : undefined;
      if (role && (!best || rank(role) > rank(best))) best = role;
    }
    return best ?? this.config.defaultRole;
  }

  async verify(token: string): Promise<VerifyResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.jwks(), {
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['sub', 'exp'],
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, error: 'token expired' };
      if (error instanceof errors.JWTClaimValidationFailed)
        return { ok: false, error: `single sign-on token: claim "${error.claim}" is invalid` };
      return { ok: false, error: 'token is neither ours nor from the single sign-on provider' };
    }
    const role = this.roleOf(payload);
    if (!role) return { ok: false, error: 'the single sign-on provider gives you no Concord role' };
    const id = `o-${createHash('sha256').update(`${payload.iss}\n${payload.sub}`).digest('base64url').slice(0, 20)}`;
    const name = cleanName(String(payload.name ?? payload.preferred_username ?? payload.sub)) || id;
    const email =
      typeof payload.email === 'string'
        ? payload.email
        : `${payload.sub}@${new URL(this.config.issuer).host}`;
    const store = this.directory.store;
    let account = await this.directory.account(id);
    try {
      if (!account) {
        // The first administrator is made by first-run setup, never by a provider's token.
        if ((await store.countAccounts()) === 0)
          return { ok: false, error: 'Concord is not set up yet: create the first administrator' };
        try {
          account = await store.create(
            { id, email, name, role, passwordHash: undefined },
            this.now(),
          );
        } catch (error) {
          // Several first requests at once: one creates the account, the others find it.
          const existing = await store.byId(id);
          if (!existing) throw error;
          return this.directory.admit({
            id,
            role: existing.role,
            name: existing.name,
            expiresAt: (payload.exp as number) * 1000,
          });
        }
        await store.record({
          ts: this.now(),
          type: 'account-created',
          subject: id,
          actor: undefined,
          address: undefined,
          detail: `single sign-on (${payload.iss})`,
        });
        await this.directory.announce({ type: 'account', userId: id });
      } else if (account.role !== role || account.name !== name) {
        await store.update(id, { role, name }, this.now());
        if (account.role !== role)
          await store.record({
            ts: this.now(),
            type: 'role-changed',
            subject: id,
            actor: undefined,
            address: undefined,
            detail: `${account.role} → ${role} (single sign-on)`,
          });
        await this.directory.announce({ type: 'account', userId: id });
      }
    } catch (error) {
      if (error instanceof EmailTaken)
        return {
          ok: false,
          error: `a Concord account with the email ${email} exists already: ask an admin`,
        };
      throw error;
    }
    const user: User = { id, role, name, expiresAt: (payload.exp as number) * 1000 };
    return this.directory.admit(user);
  }
}
