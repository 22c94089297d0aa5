/**
 * The audit trail of a document, newest first, in pages (SPEC HTTP5, LIM3, SES3): single entries
 * (`/history`: `limit` 1–500, default 100; `before` and `after` sequence numbers) or editing
 * sessions (`/sessions`: `limit` 1–100 sessions, default 20; filters by field, person and time),
 * and who last changed each field (`/blame`, from the blame index: docs/blame.ts).
 * A cursor is a position in the append-only log, so pages never shift as the document grows.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { canRead, documentKinds, groupSessions, type HistorySession } from '@concord/shared';
import { blameOf } from '../../docs/blame.js';
import type { LogEntry } from '../../store/eventStore.js';
import {
  HttpError,
  authenticate,
  docNameOf,
  sendJson,
  userOf,
  type HttpContext,
} from '../context.js';

const MAX_HISTORY_PAGE = 500;
const MAX_SESSIONS_PAGE = 100;
/** Sessions are found by reading the log backwards in chunks, at most this far per page. */
const CHUNK = 500;
const MAX_SCAN = 20_000;
const seqNumber = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

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
            before: seqNumber.min(1).optional(),
            after: seqNumber.optional(),
            limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(100),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canRead(user, docName)) throw new HttpError(403, 'not allowed to read this document');
      const { before, after, limit } = req.query;
      const [read, head] = await Promise.all([
        ctx.hub.store.readLogBackwards(name, before ?? Number.MAX_SAFE_INTEGER, limit),
        ctx.hub.store.head(name),
      ]);
      const entries = after === undefined ? read : read.filter((e) => e.seq > after);
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
        next:
          entries.length === limit && last && last.seq > 1 && (after ?? 0) < last.seq - 1
            ? last.seq
            : null,
      });
    },
  );

  r.get(
    '/api/docs/:name/sessions',
    {
      preValidation: authenticate(ctx),
      schema: {
        params: z.object({ name: z.string().min(1).max(200) }),
        querystring: z
          .object({
            before: seqNumber.min(1).optional(),
            limit: z.coerce.number().int().min(1).max(MAX_SESSIONS_PAGE).default(20),
            field: z.string().max(64).optional(),
            user: z.string().max(64).optional(),
            since: z.coerce.number().int().min(0).optional(),
            until: z.coerce.number().int().min(0).optional(),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canRead(user, docName)) throw new HttpError(403, 'not allowed to read this document');
      const kind = documentKinds[docName.kind];
      const { before, limit, field, since, until } = req.query;
      if (field !== undefined && !(field in kind.fields))
        throw new HttpError(400, `${docName.kind} has no field "${field}"`);
      // Sessions are grouped from every entry (a person's sessions are separated by others'
      // edits even when only theirs are asked for), then filtered.
      const shown = (all: HistorySession[]): HistorySession[] =>
        all.flatMap((session) => {
          if (req.query.user !== undefined && session.user !== req.query.user) return [];
          if (field === undefined) return [session];
          const changes = session.changes.filter((c) => c.field === field);
          return changes.length > 0 ? [{ ...session, changes }] : [];
        });
      // Read back until the page's sessions are complete (one more has begun), the log's start,
      // the start of the time range, or the scan bound.
      const picked: LogEntry[] = [];
      let cursor = before ?? Number.MAX_SAFE_INTEGER;
      let scanned = 0;
      let complete = false;
      let sessions: HistorySession[] = [];
      for (;;) {
        const chunk = await ctx.hub.store.readLogBackwards(name, cursor, CHUNK);
        scanned += chunk.length;
        for (const e of chunk) {
          if (since !== undefined && e.ts < since) {
            complete = true;
            break;
          }
          if (until === undefined || e.ts <= until) picked.push(e);
        }
        if (chunk.length < CHUNK) complete = true;
        sessions = shown(groupSessions(kind, [...picked].reverse()).reverse());
        if (complete || sessions.length > limit || scanned >= MAX_SCAN) break;
        cursor = chunk.at(-1)!.seq;
      }
      const page = sessions.slice(0, limit);
      const more = sessions.length > limit || !complete;
      const oldest = page.at(-1);
      const head = await ctx.hub.store.head(name);
      return sendJson(reply, 200, {
        doc: name,
        version: head?.seq ?? 0,
        sessions: page.map((s, i) => ({
          ...s,
          // The oldest session of a page cut by the scan bound may go on in the next page.
          ...(i === page.length - 1 && !complete && sessions.length <= limit
            ? { continues: true }
            : {}),
        })),
        next: more && oldest && oldest.firstSeq > 1 ? oldest.firstSeq : null,
      });
    },
  );

  r.get(
    '/api/docs/:name/blame',
    {
      preValidation: authenticate(ctx),
      schema: { params: z.object({ name: z.string().min(1).max(200) }) },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canRead(user, docName)) throw new HttpError(403, 'not allowed to read this document');
      const index = await blameOf(ctx.hub.store, name);
      return sendJson(reply, 200, { doc: name, version: index.seq, fields: index.fields });
    },
  );
}
