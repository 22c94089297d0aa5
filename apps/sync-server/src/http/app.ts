/**
 * The HTTP server: Fastify with schema validation (zod), rate limits per user or address (also on
 * WebSocket upgrades), body limits, the API routes, the WebSocket endpoint and the web app's
 * files. Every expected failure is a JSON `{error}` with its status; anything unexpected is a 500
 * that is logged and reveals nothing (SPEC CRASH1, LIM2).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { ConnectionOptions } from '../ws/connection.js';
import { wsRoute } from '../ws/wsRoute.js';
import { HttpError, sendJson, type HttpContext } from './context.js';
import { authRoutes } from './routes/auth.js';
import { docRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { orderRoutes } from './routes/orders.js';
import { revertRoutes } from './routes/revert.js';
import { syncRoutes } from './routes/sync.js';
import { userRoutes } from './routes/users.js';
import { registerStatic } from './staticFiles.js';

export interface AppOptions {
  readonly webDist: string | undefined;
  readonly maxFrameBytes: number;
  /** Requests (and WebSocket upgrades) per minute per user, or per address when signed out. */
  readonly rateLimitPerMinute: number;
  /** Requests per minute per address, whoever signs them (tokens are cheap to come by). */
  readonly rateLimitPerAddressPerMinute: number;
  readonly connection: ConnectionOptions;
  readonly maxConnectionsPerUser: number;
  /** Take the client's address and protocol from X-Forwarded-*, set by these proxies only. */
  readonly trustProxy: number | string | false;
}

export async function buildApp(ctx: HttpContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Document names are short; a longer path segment is not a request of ours.
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    // A number of hops: the nearest that many proxies are trusted, no client-sent address.
    trustProxy:
      typeof options.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (options.trustProxy as number)
        : options.trustProxy,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('user', undefined);
  app.setErrorHandler((error, req, reply) => {
    if (error instanceof HttpError)
      return sendJson(reply, error.status, { error: error.message, ...error.extra });
    if (hasZodFastifySchemaValidationErrors(error)) {
      return sendJson(reply, 400, {
        error: 'invalid request',
        issues: error.validation.map((v) => ({
          field: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
          code: v.keyword,
          message: v.message ?? 'invalid',
        })),
      });
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendJson(reply, status, { error: (error as Error).message });
    }
    ctx.logger.error({ err: error, url: req.url }, 'request failed');
    return sendJson(reply, 500, { error: 'internal error' });
  });

  await app.register(rateLimit, {
    global: true,
    max: options.rateLimitPerMinute,
    timeWindow: 60_000,
    // After authentication, so a signed-in user is limited as a user wherever they connect from.
    hook: 'preHandler',
    keyGenerator: (req) => (req.user ? `user:${req.user.id}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, context) =>
      new HttpError(
        429,
        `too many requests: at most ${context.max} per minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
  // Per address as well, before anything else runs: many tokens from one address do not multiply
  // its allowance.
  const perAddress = app.createRateLimit({
    max: options.rateLimitPerAddressPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => `addr:${req.ip}`,
  });
  app.addHook('onRequest', async (req, reply) => {
    if ((req.routeOptions.config as { rateLimit?: unknown } | undefined)?.rateLimit === false)
      return;
    const limit = await perAddress(req);
    if (limit.isAllowed || !limit.isExceeded) return;
    reply.header('retry-after', String(limit.ttlInSeconds));
    throw new HttpError(
      429,
      `too many requests from this address: at most ${limit.max} per minute; retry in ${limit.ttlInSeconds} s`,
    );
  });
  await app.register(cookie);
  await app.register(websocket, {
    options: { maxPayload: options.maxFrameBytes, perMessageDeflate: false },
    errorHandler: (error, socket) => {
      ctx.logger.debug({ err: error }, 'WebSocket error');
      socket.terminate();
    },
  });

  healthRoutes(app, ctx);
  authRoutes(app, ctx);
  userRoutes(app, ctx);
  docRoutes(app, ctx);
  historyRoutes(app, ctx);
  revertRoutes(app, ctx);
  syncRoutes(app, ctx);
  orderRoutes(app, ctx);
  const files = await registerStatic(app, options.webDist);
  wsRoute(app, {
    ...ctx,
    options: options.connection,
    files,
    maxConnectionsPerUser: options.maxConnectionsPerUser,
  });
  return app;
}
