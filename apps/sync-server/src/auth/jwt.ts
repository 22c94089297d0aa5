/**
 * HS256 JSON Web Tokens (RFC 7519) with node:crypto: sign for the demo sign-in, verify for every
 * connection and request. Only HS256 is accepted; `exp` and `nbf` are enforced.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly id: string;
  readonly role: Role;
  readonly name: string;
}

export type VerifyResult = { ok: true; user: User } | { ok: false; error: string };

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function signToken(
  secret: string,
  claims: { sub: string; role: Role; name?: string },
  ttlSeconds = 7 * 86_400,
  nowMs = Date.now(),
): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(nowMs / 1000);
  const payload = b64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function verifyToken(
  secret: string,
  token: string | null | undefined,
  nowMs = Date.now(),
): VerifyResult {
  if (!token) return { ok: false, error: 'missing token' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, error: 'malformed token' };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, error: 'malformed token' };
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    (header as { alg?: unknown }).alg !== 'HS256'
  ) {
    return { ok: false, error: 'unsupported token algorithm (HS256 required)' };
  }
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, error: 'bad token signature' };
  }
  const now = nowMs / 1000;
  if (typeof payload.exp === 'number' && now >= payload.exp)
    return { ok: false, error: 'token expired' };
  if (typeof payload.nbf === 'number' && now < payload.nbf)
    return { ok: false, error: 'token not yet valid' };
  const { sub, role, name } = payload;
  if (typeof sub !== 'string' || sub.length === 0)
    return { ok: false, error: 'token has no subject (sub)' };
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    return { ok: false, error: 'token role must be viewer, editor or admin' };
  }
  return {
    ok: true,
    user: { id: sub, role: role as Role, name: typeof name === 'string' ? name : sub },
  };
}
