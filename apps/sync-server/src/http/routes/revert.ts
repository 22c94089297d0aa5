/**
 * Reverting one change of one field (SPEC REV1–REV2): `POST /api/docs/<doc>/revert
 * {seq, field, fromSeq?, force?}` undoes what the entries `fromSeq`..`seq` (one entry, or a whole
 * session) did to `field`, as a new forward edit of just that field, logged as a `revert`. When the
 * field changed again after `seq`, the answer is 409 `changed_since` with the current value and who
 * changed it, unless `force` says to overwrite anyway.
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  RevertError,
  canWrite,
  combineChanges,
  documentKinds,
  revertChange,
  writeRefusal,
  type Patch,
} from '@concord/shared';
import { serverEdit } from '../../docs/serverEdit.js';
import type { EventStore } from '../../store/eventStore.js';
import {
  HttpError,
  authenticate,
  docNameOf,
  sendStored,
  userOf,
  type HttpContext,
} from '../context.js';
import { Idempotency } from '../idempotency.js';

const seqNumber = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A session reverted at once holds at most this many entries. */
const MAX_RANGE = 10_000;
const CHUNK = 1_000;

/** The newest change of `field` after `seq`, read back from the head of the log. */
async function changedSince(store: EventStore, doc: string, field: string, seq: number) {
  let cursor = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const chunk = await store.readLogBackwards(doc, cursor, CHUNK);
    for (const e of chunk) {
      if (e.seq <= seq) return undefined;
      if (e.changes.some((c) => c.field === field)) return { seq: e.seq, user: e.user, ts: e.ts };
    }
    if (chunk.length < CHUNK) return undefined;
    cursor = chunk.at(-1)!.seq;
  }
}

export function revertRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { hub } = ctx;
  const idempotency = new Idempotency(hub.store);
  r.post(
    '/api/docs/:name/revert',
    {
      preValidation: authenticate(ctx),
      schema: {
        params: z.object({ name: z.string().min(1).max(200) }),
        body: z
          .object({
            seq: seqNumber,
            field: z.string().max(64),
            fromSeq: seqNumber.optional(),
            force: z.boolean().default(false),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canWrite(user, docName)) throw new HttpError(403, writeRefusal(user, docName));
      const kind = documentKinds[docName.kind];
      const { seq, field, force } = req.body;
      const fromSeq = req.body.fromSeq ?? seq;
      if (!(field in kind.fields))
        throw new HttpError(400, `${docName.kind} has no field "${field}"`);
      if (fromSeq > seq || seq - fromSeq >= MAX_RANGE)
        throw new HttpError(400, `fromSeq must be at most seq, and within ${MAX_RANGE} entries`);
      const head = await hub.store.head(name);
      if (!head || seq > head.seq) throw new HttpError(404, `version ${seq} does not exist`);
      const entries = await hub.store.readLog(name, fromSeq - 1, seq - fromSeq + 1);
      const bodies = entries.flatMap((e) =>
        e.changes.filter((c) => c.field === field).map(({ field: _f, ...body }) => body),
      );
      if (bodies.length === 0)
        throw new HttpError(404, `no change of ${field} in versions ${fromSeq}–${seq}`);
      const later = await changedSince(hub.store, name, field, seq);
      const key = Idempotency.key(user.id, `REVERT ${name}`, req.headers['idempotency-key']);
      const result = await idempotency.run(key, () =>
        serverEdit(hub, user, name, kind, docName.id, undefined, 'revert', async (live) => {
          const current = live.json();
          if (later && !force) {
            throw new HttpError(409, `${field} changed after version ${seq}`, {
              code: 'changed_since',
              current: current[field],
              lastChange: later,
            });
          }
          // Undo the net changes newest first, each on the value the previous undo left.
          let working: Record<string, unknown> = { ...current };
          let patch: Patch = {};
          for (const change of combineChanges(kind, field, bodies).reverse()) {
            const step = revertChange(kind, change, working);
            if (step instanceof RevertError)
              throw new HttpError(409, step.message, { code: 'cannot_revert' });
            patch = { ...patch, ...step };
            if (field in step)
              working = { ...working, [field]: applyLocally(step[field], working[field]) };
          }
          return patch;
        }),
      );
      return sendStored(reply, result);
    },
  );
}

/**
 * The value a field reads after a patch value, for undoing several text changes in a row (text
 * patches are whole strings). Other kinds combine to a single change, so this is only text.
 */
function applyLocally(value: unknown, previous: unknown): unknown {
  return typeof value === 'string' ? value : previous;
}
