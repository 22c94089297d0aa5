/**
 * Access tokens: HS256 JSON Web Tokens signed with AUTH_SECRET, verified with `jose` (SPEC AUTH6).
 * A token must carry `sub` (a user id, which is also a profile id: NAME1), `role` and `exp`; `name`
 * is optional display text, cleaned of control characters and cut to 100 characters.
 */
import { webcrypto } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { DOC_ID_PATTERN, ROLES, type Role, type SessionUser } from '@concord/shared';

export { ROLES, type Role };

export interface User extends SessionUser {
  /**
   * Until when a connection opened with this token may stay open (ms since the epoch): the
   * token's expiry, or for a session's access token the session's (ACC4).
   */
  readonly expiresAt: number;
  /** The session (refresh-token family) an access token was issued for; none for service tokens. */
  readonly sessionId?: string;
}

export interface TokenClaims {
  readonly sub: string;
  readonly role: Role;
  readonly name?: string;
  /** Session id and the session's expiry (ms), for access tokens of a signed-in session. */
  readonly sid?: string;
  readonly sessionExpiresAt?: number;
}

export type VerifyResult = { ok: true; user: User } | { ok: false; error: string };

const MAX_NAME = 100;
const SESSION_ID = /^[\w-]{8,64}$/;

export class Tokens {
  /** The HMAC key, imported once (jose imports a raw secret again on every call). */
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('AUTH_SECRET must be at least 16 characters');
    this.key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
  }

  async sign(claims: TokenClaims, ttlSeconds = 7 * 86_400): Promise<string> {
    return new SignJWT({
      role: claims.role,
      ...(claims.name ? { name: claims.name } : {}),
      ...(claims.sid ? { sid: claims.sid } : {}),
      ...(claims.sessionExpiresAt ? { sxp: Math.floor(claims.sessionExpiresAt / 1000) } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(await this.key);
  }

  async verify(token: string | null | undefined): Promise<VerifyResult> {
    if (!token) return { ok: false, error: 'missing token' };
    if (token.length > 4_096) return { ok: false, error: 'token too long' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      return { ok: false, error: reasonOf(error) };
    }
    const { sub, role, name, exp, sid, sxp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || !DOC_ID_PATTERN.test(sub))
      return {
        ok: false,
        error: 'token subject (sub) must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"',
      };
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
      return { ok: false, error: 'token role must be viewer, editor or admin' };
    if (sid !== undefined && (typeof sid !== 'string' || !SESSION_ID.test(sid)))
      return { ok: false, error: 'token session (sid) is malformed' };
    const sessionExpiry = typeof sxp === 'number' && sid !== undefined ? sxp * 1000 : undefined;
    return {
      ok: true,
      user: {
        id: sub,
        role: role as Role,
        name: cleanName(typeof name === 'string' ? name : '') || sub,
        expiresAt: sessionExpiry ?? (exp as number) * 1000,
        ...(typeof sid === 'string' ? { sessionId: sid } : {}),
      },
    };
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'unsupported token algorithm (HS256 required)';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return 'token must carry an expiry (exp)';
    if (error.claim === 'nbf') return 'token not yet valid';
    return `token claim "${error.claim}" is invalid: ${error.reason}`;
  }
  return 'malformed token';
}

/** Display names: no control characters, at most 100 characters. */
export function cleanName(text: string): string {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').trim()]
    .slice(0, MAX_NAME)
    .join('');
}
