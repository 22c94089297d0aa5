/**
 * Signing in and out over HTTP (SPEC ACC3–ACC4, AUTH6–AUTH7): first-run setup, password sign-in
 * for the browser (session cookies) and for API clients (tokens in the body), refresh with
 * rotation, sign-out, one-time links, changing one's own password, and the demo sign-in (only with
 * DEMO_AUTH on). Attempts to sign in are limited per address by the rate limiter and, on failure,
 * per account and per address by the audit log (sessions.ts).
 */
import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AccountError } from '../../accounts/accountAdmin.js';
import { MAX_PASSWORD, MIN_PASSWORD } from '../../accounts/passwords.js';
import type { Issued, Outcome } from '../../accounts/sessions.js';
import { ROLES, cleanName } from '../../auth/tokens.js';
import {
  HttpError,
  authenticate,
  sendJson,
  tokenOf,
  userOf,
  type HttpContext,
} from '../context.js';
import {
  REFRESH_COOKIE,
  clearSessionCookies,
  sessionBody,
  setSessionCookies,
} from '../sessionCookies.js';

const email = z.string().trim().max(320).email('not an email address');
const password = z.string().max(MAX_PASSWORD * 4);
const name = z.string().trim().min(1).max(100);
/** Attempts per minute per address on the routes that take a password or a one-time secret. */
const attempts = (max: number) => ({
  rateLimit: { max, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `auth:${req.ip}` },
});

export function accountErrors<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof AccountError) throw new HttpError(error.status, error.message);
    throw error;
  });
}

function issuedOrThrow(outcome: Outcome) {
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.error);
  return outcome.issued;
}

/** A browser's session: the tokens go into cookies, the body says who and until when. */
function answerWithCookies(
  req: FastifyRequest,
  reply: FastifyReply,
  issued: Issued,
  status = 200,
): FastifyReply {
  setSessionCookies(req, reply, issued);
  return sendJson(reply, status, sessionBody(issued));
}

/** An API client's session: the tokens in the body. */
function answerWithTokens(reply: FastifyReply, issued: Issued): FastifyReply {
  return sendJson(reply, 200, {
    ...sessionBody(issued),
    token: issued.accessToken,
    refreshToken: issued.refreshToken,
  });
}

export function authRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const limit = ctx.signInAttemptsPerMinute;

  r.get('/api/auth/config', async (_req, reply) =>
    sendJson(reply, 200, {
      demo: ctx.demoAuth,
      setupRequired: (await ctx.admin.setupRequired()) !== undefined,
      sso: ctx.ssoIssuer ?? null,
      password: { min: MIN_PASSWORD, max: MAX_PASSWORD },
    }),
  );

  r.post(
    '/api/auth/setup',
    {
      config: attempts(limit),
      schema: { body: z.object({ code: z.string().max(200), email, name, password }).strict() },
    },
    async (req, reply) => {
      const account = await accountErrors(
        ctx.admin.setup(req.body.code, { ...req.body, role: 'admin' }, req.ip),
      );
      const issued = await ctx.sessions.start(account, req.ip);
      return answerWithCookies(req, reply, issued, 201);
    },
  );

  r.post(
    '/api/auth/signin',
    { config: attempts(limit), schema: { body: z.object({ email, password }).strict() } },
    async (req, reply) => {
      const issued = issuedOrThrow(
        await ctx.sessions.signIn(req.body.email, req.body.password, req.ip),
      );
      return answerWithCookies(req, reply, issued);
    },
  );

  // API clients: the same sign-in, answered with tokens instead of cookies.
  r.post(
    '/api/auth/token',
    { config: attempts(limit), schema: { body: z.object({ email, password }).strict() } },
    async (req, reply) => {
      const issued = issuedOrThrow(
        await ctx.sessions.signIn(req.body.email, req.body.password, req.ip),
      );
      return answerWithTokens(reply, issued);
    },
  );

  r.post(
    '/api/auth/refresh',
    {
      schema: {
        body: z
          .object({ refreshToken: z.string().max(200) })
          .strict()
          .nullish(),
      },
    },
    async (req, reply) => {
      const fromBody = req.body?.refreshToken;
      const fromCookie = req.cookies[REFRESH_COOKIE];
      if (fromBody || fromCookie) {
        const outcome = await ctx.sessions.refresh((fromBody ?? fromCookie)!, req.ip);
        if (!outcome.ok) {
          if (!fromBody) clearSessionCookies(req, reply);
          throw new HttpError(outcome.status, outcome.error);
        }
        const issued = outcome.issued;
        if (fromBody) {
          return answerWithTokens(reply, issued);
        }
        return answerWithCookies(req, reply, issued);
      }
      // A service (or demo) token that is still valid is renewed as it is.
      await authenticate(ctx)(req);
      const user = userOf(req);
      if (user.sessionId) throw new HttpError(401, 'refresh a session with its refresh token');
      // Only tokens of no account renew themselves: an account's access (single sign-on too) is
      // renewed through its session or its provider, so disabling or a new role always applies.
      if (await ctx.auth.directory.account(user.id))
        throw new HttpError(401, 'sign in again: this token is not renewed');
      const token = await ctx.tokens.sign(
        { sub: user.id, role: user.role, name: user.name },
        ctx.tokenTtlSeconds,
      );
      return sendJson(reply, 200, {
        token,
        user: { id: user.id, name: user.name, role: user.role },
      });
    },
  );

  r.post(
    '/api/auth/signout',
    {
      schema: {
        body: z
          .object({ refreshToken: z.string().max(200) })
          .strict()
          .nullish(),
      },
    },
    async (req, reply) => {
      const signedIn = await ctx.auth.verify(tokenOf(req));
      await ctx.sessions.signOut(
        req.body?.refreshToken ?? req.cookies[REFRESH_COOKIE],
        signedIn.ok ? { userId: signedIn.user.id, family: signedIn.user.sessionId } : undefined,
        req.ip,
      );
      clearSessionCookies(req, reply);
      return reply.code(204).send();
    },
  );

  r.get('/api/auth/session', { preValidation: authenticate(ctx) }, async (req, reply) => {
    const user = userOf(req);
    const account = await ctx.auth.directory.account(user.id);
    return sendJson(reply, 200, {
      user: {
        id: user.id,
        name: user.name,
        role: user.role,
        ...(account ? { email: account.email } : {}),
      },
    });
  });

  r.post(
    '/api/auth/password',
    {
      config: attempts(limit),
      preValidation: authenticate(ctx),
      schema: { body: z.object({ current: password, next: password }).strict() },
    },
    async (req, reply) => {
      const account = await accountErrors(
        ctx.admin.changeOwnPassword(userOf(req).id, req.body.current, req.body.next, req.ip),
      );
      // Every session of this person ended with the old password; this one starts anew.
      const issued = await ctx.sessions.start(account, req.ip);
      return answerWithCookies(req, reply, issued);
    },
  );

  r.post(
    '/api/auth/link',
    {
      config: attempts(limit),
      schema: { body: z.object({ token: z.string().max(200), password }).strict() },
    },
    async (req, reply) => {
      const account = await accountErrors(ctx.admin.useLink(req.body.token, req.body.password));
      const issued = await ctx.sessions.start(account, req.ip);
      return answerWithCookies(req, reply, issued);
    },
  );

  r.post(
    '/api/auth/demo',
    {
      schema: {
        body: z.object({ name: z.string().trim().min(1).max(40), role: z.enum(ROLES) }).strict(),
      },
    },
    async (req, reply) => {
      if (!ctx.demoAuth) throw new HttpError(404, 'demo sign-in is disabled');
      const display = cleanName(req.body.name);
      // Demo ids have their own prefix: a demo name can never be a real account's id.
      const id = `demo-${
        display
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 40) || 'user'
      }`;
      const role = req.body.role;
      const token = await ctx.tokens.sign({ sub: id, role, name: display }, ctx.tokenTtlSeconds);
      return sendJson(reply, 200, { token, user: { id, name: display, role } });
    },
  );
}

export { name as nameSchema, email as emailSchema, password as passwordSchema };
