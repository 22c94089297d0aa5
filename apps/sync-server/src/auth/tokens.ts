/**
 * Access tokens: HS256 JSON Web Tokens signed with AUTH_SECRET, signed and verified with `fast-jwt`
 * (SPEC AUTH6). Every WebSocket connection and HTTP request verifies one: fast-jwt's synchronous
 * HMAC costs about 15 µs of CPU, `jose`'s WebCrypto job about 100 (measured on this machine's
 * core); jose stays for single sign-on, whose keys come from a JWKS (oidc.ts).
 * A token must carry `sub` (a user id, which is also a profile id: NAME1), `role` and `exp`; `name`
 * is optional display text, cleaned of control characters and cut to 100 characters.
 */
import { TokenError, createSigner, createVerifier } from 'fast-jwt';
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
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => Record<string, unknown>;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('AUTH_SECRET must be at least 16 characters');
    this.signer = createSigner({ key: secret, algorithm: 'HS256' });
    this.verifier = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
    });
  }

  async sign(claims: TokenClaims, ttlSeconds = 7 * 86_400): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.signer({
      sub: claims.sub,
      role: claims.role,
      ...(claims.name ? { name: claims.name } : {}),
      ...(claims.sid ? { sid: claims.sid } : {}),
      ...(claims.sessionExpiresAt ? { sxp: Math.floor(claims.sessionExpiresAt / 1000) } : {}),
      iat: now,
      exp: now + ttlSeconds,
    });
  }

  async verify(token: string | null | undefined): Promise<VerifyResult> {
    if (!token) return { ok: false, error: 'missing token' };
    if (token.length > 4_096) return { ok: false, error: 'token too long' };
    let payload;
    try {
      payload = this.verifier(token);
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
  if (!(error instanceof TokenError)) return 'malformed token';
  switch (error.code) {
    case TokenError.codes.expired:
      return 'token expired';
    case TokenError.codes.invalidSignature:
      return 'bad token signature';
    case TokenError.codes.invalidAlgorithm:
      return 'unsupported token algorithm (HS256 required)';
    case TokenError.codes.inactive:
      return 'token not yet valid';
    case TokenError.codes.missingRequiredClaim:
      return error.message.includes('exp')
        ? 'token must carry an expiry (exp)'
        : 'token must carry a subject (sub)';
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.invalidClaimValue:
      return `token claim is invalid: ${error.message}`;
    default:
      return 'malformed token';
  }
}

/** Display names: no control characters, at most 100 characters. */
export function cleanName(text: string): string {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').trim()]
    .slice(0, MAX_NAME)
    .join('');
}
