/**
 * Documents over HTTP: read (now or at a version), patch, restore, list. Writes go through the
 * same write pipeline as WebSocket updates, as edits by the document's server client id that name
 * the user (SPEC HTTP1–HTTP7).
 */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  checkPatch,
  DOCUMENT_KINDS,
  documentKinds,
  materialize,
  patchToReach,
  type DocumentKind,
} from '@concord/shared';
import { canRead, canWrite, writeRefusal } from '@concord/shared';
import {
  HttpError,
  authenticate,
  docNameOf,
  parseEtag,
  sendJson,
  sendStored,
  userOf,
  type HttpContext,
} from '../context.js';
import { Idempotency } from '../idempotency.js';
import { serverEdit } from '../../docs/serverEdit.js';

const docParams = z.object({ name: z.string().min(1).max(200) });
const version = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export function docRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { hub } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const idempotency = new Idempotency(hub.store);
  const auth = authenticate(ctx);
  const kindOf = (name: { kind: keyof typeof documentKinds }): DocumentKind<object> =>
    documentKinds[name.kind];

  r.get(
    '/api/docs',
    {
      preValidation: auth,
      schema: { querystring: z.object({ kind: z.enum(DOCUMENT_KINDS).optional() }) },
    },
    async (req, reply) => {
      const heads = await hub.store.listDocs(req.query.kind ? `${req.query.kind}:` : '');
      return sendJson(
        reply,
        200,
        heads.map((h) => ({ doc: h.doc, version: h.seq, updatedAt: h.updatedAt })),
      );
    },
  );

  r.get(
    '/api/docs/:name',
    {
      preValidation: auth,
      schema: { params: docParams, querystring: z.object({ at: version.optional() }) },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canRead(user, docName)) throw new HttpError(403, 'not allowed to read this document');
      const at = req.query.at;
      if (at !== undefined) {
        const head = await hub.store.head(name);
        if (!head || at > head.seq)
          throw new HttpError(404, `version ${at} does not exist (latest is ${head?.seq ?? 0})`);
        const doc = await hub.docAt(name, at);
        const json = materialize(doc, kindOf(docName), docName.id);
        doc.destroy();
        return sendJson(reply, 200, json, { etag: `"${at}"` });
      }
      const cached = await ctx.readCache?.get(name).catch(() => undefined);
      if (cached) return sendJson(reply, 200, cached.json, { etag: `"${cached.version}"` });
      const found = await hub.withExisting(name, async (live) => {
        await live.settled();
        if (live.isNew) return undefined;
        return { json: live.json(), version: live.version };
      });
      if (!found) throw new HttpError(404, `${name} has never been written`);
      void ctx.readCache?.put(name, found.version, found.json).catch(() => undefined);
      return sendJson(reply, 200, found.json, { etag: `"${found.version}"` });
    },
  );

  r.patch(
    '/api/docs/:name',
    { preValidation: auth, schema: { params: docParams } },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canWrite(user, docName)) throw new HttpError(403, writeRefusal(user, docName));
      const ifMatch = ifMatchOf(req.headers['if-match']);
      const checked = checkPatch(kindOf(docName), req.body);
      if (!checked.ok)
        return sendJson(reply, 400, { error: 'invalid patch', issues: checked.issues });
      const key = Idempotency.key(user.id, `PATCH ${name}`, req.headers['idempotency-key']);
      const result = await idempotency.run(key, () =>
        serverEdit(
          hub,
          user,
          name,
          kindOf(docName),
          docName.id,
          ifMatch,
          'patch',
          async () => checked.value,
        ),
      );
      return sendStored(reply, result);
    },
  );

  r.post(
    '/api/docs/:name/restore',
    {
      preValidation: auth,
      schema: { params: docParams, body: z.object({ version }).strict() },
    },
    async (req, reply) => {
      const user = userOf(req);
      const { name, docName } = docNameOf(req.params.name);
      if (!canWrite(user, docName)) throw new HttpError(403, writeRefusal(user, docName));
      const target = req.body.version;
      const head = await hub.store.head(name);
      if (!head || target > head.seq) throw new HttpError(404, `version ${target} does not exist`);
      const ifMatch = ifMatchOf(req.headers['if-match']);
      const kind = kindOf(docName);
      const key = Idempotency.key(user.id, `RESTORE ${name}`, req.headers['idempotency-key']);
      const result = await idempotency.run(key, () =>
        serverEdit(hub, user, name, kind, docName.id, ifMatch, 'restore', async (live) => {
          const old = await hub.docAt(name, target);
          const json = materialize(old, kind, docName.id);
          old.destroy();
          return patchToReach(kind, live.json(), json);
        }),
      );
      return sendStored(reply, result);
    },
  );
}

function ifMatchOf(header: string | string[] | undefined): number | undefined {
  if (Array.isArray(header)) throw new HttpError(400, 'send one If-Match');
  const value = parseEtag(header);
  if (Number.isNaN(value)) throw new HttpError(400, 'If-Match must be a version ETag such as "12"');
  return value;
}
