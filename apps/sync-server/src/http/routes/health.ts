/** Liveness, readiness (the store and any extra dependency answer) and Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { sendJson, type HttpContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const open = { config: { rateLimit: false } };
  app.get('/healthz', open, async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', open, async (_req, reply) => {
    const checks: Record<string, boolean> = {
      store: await ctx.hub.store.ping().catch(() => false),
    };
    for (const [name, check] of Object.entries(ctx.readiness))
      checks[name] = await check().catch(() => false);
    const ok = Object.values(checks).every(Boolean);
    return sendJson(reply, ok ? 200 : 503, { ready: ok, checks });
  });
  app.get('/metrics', open, async (_req, reply) => {
    ctx.metrics.loadedDocs.set(ctx.hub.loadedCount());
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
