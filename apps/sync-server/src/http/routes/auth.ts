/**
 * Tokens over HTTP: the demo sign-in (only with DEMO_AUTH on) and refreshing a valid token before
 * it expires (SPEC AUTH6–AUTH7).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ROLES, cleanName } from '../../auth/tokens.js';
import { HttpError, authenticate, sendJson, userOf, type HttpContext } from '../context.js';

export function authRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/api/auth/demo',
    {
      schema: {
        body: z.object({ name: z.string().trim().min(1).max(40), role: z.enum(ROLES) }).strict(),
      },
    },
    async (req, reply) => {
      if (!ctx.demoAuth) throw new HttpError(404, 'demo sign-in is disabled');
      const name = cleanName(req.body.name);
      const id =
        name
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-')
          .replace(/^-+|-+$/g, '')
          .slice(0, 64) || 'user';
      const role = req.body.role;
      const token = await ctx.tokens.sign({ sub: id, role, name }, ctx.tokenTtlSeconds);
      return sendJson(reply, 200, { token, user: { id, name, role } });
    },
  );

  r.post('/api/auth/refresh', { preValidation: authenticate(ctx) }, async (req, reply) => {
    const user = userOf(req);
    const token = await ctx.tokens.sign(
      { sub: user.id, role: user.role, name: user.name },
      ctx.tokenTtlSeconds,
    );
    return sendJson(reply, 200, { token, user: { id: user.id, name: user.name, role: user.role } });
  });
}
