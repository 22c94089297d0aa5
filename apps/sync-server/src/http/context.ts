/**
 * What the HTTP routes share: the document hub, tokens, metrics, options, and the request
 * decorations (the authenticated user). Also the one error type routes throw for expected
 * failures; anything else is a 500 that is logged and never leaks details.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { EXPECTED_USER_HEADER, parseDocName, type DocName } from '@concord/shared';
import type { AccountAdmin } from '../accounts/accountAdmin.js';
import type { Sessions } from '../accounts/sessions.js';
import { expectedUser, type Authenticator } from '../auth/authenticator.js';
import type { Tokens, User } from '../auth/tokens.js';
import { ACCESS_COOKIE } from './sessionCookies.js';
import type { DocHub } from '../docs/docHub.js';
import type { Metrics } from '../metrics.js';
import type { OrderCommands } from '../orders/orderCommands.js';
import type { StoredResponse } from '../store/eventStore.js';

/** Scale-out read cache for GET /api/docs/<doc> (scale/readCache.ts). */
export interface DocReadCache {
  get(doc: string): Promise<{ version: number; json: unknown } | undefined>;
  put(doc: string, version: number, json: unknown): Promise<void>;
}

export interface HttpContext {
  readonly hub: DocHub;
  readonly tokens: Tokens;
  readonly auth: Authenticator;
  readonly sessions: Sessions;
  readonly admin: AccountAdmin;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly demoAuth: boolean;
  readonly tokenTtlSeconds: number;
  /** Sign-in (and setup, link, password) attempts per minute per address. */
  readonly signInAttemptsPerMinute: number;
  /** The single sign-on issuer, when there is one (told to the app). */
  readonly ssoIssuer: string | undefined;
  readonly readiness: Record<string, () => Promise<boolean>>;
  readonly readCache: DocReadCache | undefined;
  /** Order commands (place, cancel) and stock availability; none in tests that bring no ledger. */
  readonly orders: OrderCommands | undefined;
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

/** The request's token: an `Authorization: Bearer` header, else the session's access cookie. */
export function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
  return request.cookies[ACCESS_COOKIE];
}

/** preValidation hook: a valid token of a person who may still come in, or 401. */
export function authenticate(ctx: HttpContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const expected = request.headers[EXPECTED_USER_HEADER];
    const result = expectedUser(
      await ctx.auth.verify(tokenOf(request)),
      typeof expected === 'string' ? expected : undefined,
    );
    if (!result.ok) throw new HttpError(401, result.error);
    request.user = result.user;
  };
}

/** preValidation hook: an admin, or 401/403. */
export function adminOnly(ctx: HttpContext) {
  const signedIn = authenticate(ctx);
  return async (request: FastifyRequest): Promise<void> => {
    await signedIn(request);
    if (request.user?.role !== 'admin') throw new HttpError(403, 'only an admin may do this');
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

/** Sends a stored (possibly idempotently replayed) response. */
export function sendStored(
  reply: FastifyReply,
  result: { response: StoredResponse; replayed: boolean },
): FastifyReply {
  return reply
    .code(result.response.status)
    .headers({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...result.response.headers,
      ...(result.replayed ? { 'idempotent-replayed': 'true' } : {}),
    })
    .send(result.response.body);
}

/** `"12"` → 12; also W/ weak tags and bare numbers; NaN when malformed, undefined when absent. */
export function parseEtag(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  return m ? Number(m[1]) : Number.NaN;
}
