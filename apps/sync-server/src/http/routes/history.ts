/**
 * The audit trail of a document, newest first, in pages (SPEC HTTP5, LIM3): `limit` 1–500
 * (default 100), `before` a sequence number (the `next` cursor of the previous page). A cursor is
 * a position in the append-only log, so pages never shift as the document grows.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { canRead } from '@concord/shared';
import {
  HttpError,
  authenticate,
  docNameOf,
  sendJson,
  userOf,
  type HttpContext,
} from '../context.js';

const MAX_HISTORY_PAGE = 500;

export function historyRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/docs/:name/history',
    {
      preValidation: authenticate(ctx),
      schema: {
        params: z.object({ name: z.string().min(1).max(200) }),
        querystring: z
          .object({
            before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
            limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(100),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canRead(user, docName)) throw new HttpError(403, 'not allowed to read this document');
      const { before, limit } = req.query;
      const [entries, head] = await Promise.all([
        ctx.hub.store.readLogBackwards(name, before ?? Number.MAX_SAFE_INTEGER, limit),
        ctx.hub.store.head(name),
      ]);
      const last = entries.at(-1);
      return sendJson(reply, 200, {
        doc: name,
        version: head?.seq ?? 0,
        entries: entries.map((e) => ({
          seq: e.seq,
          user: e.user,
          ts: e.ts,
          time: new Date(e.ts).toISOString(),
          kind: e.kind,
          ...(e.reason ? { reason: e.reason } : {}),
          compensation: e.kind === 'compensation',
          changes: e.changes,
        })),
        next: entries.length === limit && last && last.seq > 1 ? last.seq : null,
      });
    },
  );
}
