/**
 * What the HTTP routes share: the document hub, tokens, metrics, options, and the request
 * decorations (the authenticated user). Also the one error type routes throw for expected
 * failures; anything else is a 500 that is logged and never leaks details.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseDocName, type DocName } from '@concord/shared';
import type { Tokens, User } from '../auth/tokens.js';
import type { DocHub } from '../docs/docHub.js';
import type { Metrics } from '../metrics.js';

/** Scale-out read cache for GET /api/docs/<doc> (scale/readCache.ts). */
export interface DocReadCache {
  get(doc: string): Promise<{ version: number; json: unknown } | undefined>;
  put(doc: string, version: number, json: unknown): Promise<void>;
}

export interface HttpContext {
  readonly hub: DocHub;
  readonly tokens: Tokens;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly demoAuth: boolean;
  readonly tokenTtlSeconds: number;
  readonly readiness: Record<string, () => Promise<boolean>>;
  readonly readCache: DocReadCache | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `authenticate` hook. */
    user: User | undefined;
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** preValidation hook: a valid bearer token or 401. */
export function authenticate(ctx: HttpContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const result = await ctx.tokens.verify(match?.[1]);
    if (!result.ok) throw new HttpError(401, result.error);
    request.user = result.user;
  };
}

export function userOf(request: FastifyRequest): User {
  if (!request.user) throw new HttpError(401, 'not signed in');
  return request.user;
}

export function docNameOf(raw: string): { name: string; docName: DocName } {
  const parsed = parseDocName(raw);
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  return { name: `${parsed.name.kind}:${parsed.name.id}`, docName: parsed.name };
}

export function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(status)
    .headers({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    })
    .send(JSON.stringify(body));
}

/** `"12"` → 12; also W/ weak tags and bare numbers; NaN when malformed, undefined when absent. */
export function parseEtag(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  return m ? Number(m[1]) : Number.NaN;
}

/** Let other work run when this request has held the event loop for a while (SPEC LIM4). */
export function yielder(budgetMs = 20): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < budgetMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
