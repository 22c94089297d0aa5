/**
 * Tokens for tests and benchmarks, signed here with node:crypto the way any external issuer would
 * sign them — independently of the server's own code (fast-jwt), which verifies them.
 */
import { createHmac } from 'node:crypto';

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function signTestToken(
  secret: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const head = b64(JSON.stringify(header));
  const body = b64(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** A token for `sub` with `role`, valid for `ttlSeconds` (negative: already expired). */
export function testToken(secret: string, sub: string, role: string, ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  return signTestToken(secret, { sub, role, iat: now, exp: now + ttlSeconds });
}
