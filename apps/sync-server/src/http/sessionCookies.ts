/**
 * The browser's session cookies (SPEC ACC4): the refresh token, sent only to /api/auth, and the
 * short-lived access token, sent with API calls and WebSocket upgrades. Both httpOnly (no script
 * reads them), SameSite=Strict (no other site's page sends them) and Secure over https.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Issued } from '../accounts/sessions.js';

export const REFRESH_COOKIE = 'concord_session';
export const ACCESS_COOKIE = 'concord_access';
const REFRESH_PATH = '/api/auth';

function base(req: FastifyRequest) {
  return { httpOnly: true, sameSite: 'strict' as const, secure: req.protocol === 'https' };
}

export function setSessionCookies(req: FastifyRequest, reply: FastifyReply, issued: Issued): void {
  const now = Date.now();
  if (issued.refreshToken) {
    reply.setCookie(REFRESH_COOKIE, issued.refreshToken, {
      ...base(req),
      path: REFRESH_PATH,
      maxAge: Math.max(0, Math.floor((issued.sessionExpiresAt - now) / 1000)),
    });
  }
  reply.setCookie(ACCESS_COOKIE, issued.accessToken, {
    ...base(req),
    path: '/',
    maxAge: Math.max(0, Math.floor((issued.accessExpiresAt - now) / 1000)),
  });
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { ...base(req), path: REFRESH_PATH });
  reply.clearCookie(ACCESS_COOKIE, { ...base(req), path: '/' });
}

/** What the app is told about its session (never a token). */
export function sessionBody(issued: Issued) {
  const { account } = issued;
  return {
    user: { id: account.id, name: account.name, role: account.role, email: account.email },
    accessExpiresAt: issued.accessExpiresAt,
    sessionExpiresAt: issued.sessionExpiresAt,
  };
}
