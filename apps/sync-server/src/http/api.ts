/**
 * The HTTP API (README): demo sign-in, document read / patch / history / time travel / restore,
 * batched catch-up, health, readiness and metrics.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import {
  HybridClock,
  applyPatch,
  checkPatch,
  documentKinds,
  materialize,
  parseDocName,
  validateDocument,
  type DocName,
  type DocumentKind,
  type Patch,
} from '@concord/shared';
import type { Logger } from 'pino';
import { ROLES, signToken, verifyToken, type Role, type User } from '../auth/jwt.js';
import { canRead, canWrite, writeRefusal } from '../auth/permissions.js';
import type { DocHub } from '../docs/docHub.js';
import type { LiveDoc } from '../docs/liveDoc.js';
import type { Metrics } from '../metrics.js';
import type { StoredResponse } from '../store/eventStore.js';
import { patchToReach } from './docPatch.js';
import { HttpError, bearer, parseEtag, readJson, sendJson } from './httpUtil.js';

export interface ApiDeps {
  readonly hub: DocHub;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly authSecret: string;
  readonly demoAuth: boolean;
  readonly maxSkewMs: number;
  /** Extra readiness checks (Redis, PostgreSQL) by name. */
  readonly readiness?: Record<string, () => Promise<boolean>>;
  /** Scale-out read cache for GET /api/docs/<doc> (see scale/readCache.ts). */
  readonly readCache?: DocReadCache;
}

export interface DocReadCache {
  get(doc: string): Promise<{ version: number; json: unknown } | undefined>;
  put(doc: string, version: number, json: unknown): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export function createApi(deps: ApiDeps) {
  const { hub } = deps;
  const clock = new HybridClock({ replicaId: 'server-http', maxSkewMs: deps.maxSkewMs });
  const inflightKeys = new Map<string, Promise<unknown>>();

  function authenticate(req: IncomingMessage): User {
    const result = verifyToken(deps.authSecret, bearer(req));
    if (!result.ok) throw new HttpError(401, result.error);
    return result.user;
  }

  function docNameOf(raw: string): DocName {
    const parsed = parseDocName(decodeURIComponent(raw));
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    return parsed.name;
  }

  const kindOf = (name: DocName): DocumentKind<object> => documentKinds[name.kind];
  const etag = (live: LiveDoc) => `"${live.headSeq}"`;

  async function getDoc(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    name: DocName,
  ): Promise<void> {
    const user = authenticate(req);
    if (!canRead(user, name)) throw new HttpError(403, 'not allowed to read this document');
    const full = `${name.kind}:${name.id}`;
    const at = url.searchParams.get('at');
    if (at !== null) {
      const seq = Number(at);
      const head = await hub.store.head(full);
      if (!Number.isSafeInteger(seq) || seq < 1)
        throw new HttpError(400, 'at must be a version number ≥ 1');
      if (!head || seq > head.seq)
        throw new HttpError(404, `version ${seq} does not exist (latest is ${head?.seq ?? 0})`);
      const doc = await hub.docAt(full, seq);
      const json = materialize(doc, kindOf(name), name.id);
      doc.destroy();
      sendJson(res, 200, json, { etag: `"${seq}"` });
      return;
    }
    const cached = await deps.readCache?.get(full).catch(() => undefined);
    if (cached) {
      sendJson(res, 200, cached.json, { etag: `"${cached.version}"` });
      return;
    }
    await hub.with(full, async (live) => {
      await live.settled();
      if (live.isNew) throw new HttpError(404, `${full} has never been written`);
      const json = live.json();
      sendJson(res, 200, json, { etag: etag(live) });
      void deps.readCache?.put(full, live.headSeq, json).catch(() => undefined);
    });
  }

  /** Run `fn` once per Idempotency-Key; a repeat gets the stored first response. */
  async function idempotent(
    req: IncomingMessage,
    res: ServerResponse,
    user: User,
    scope: string,
    fn: () => Promise<StoredResponse>,
  ) {
    const header = req.headers['idempotency-key'];
    const key =
      typeof header === 'string' && header.length > 0
        ? `${user.id}\u0000${scope}\u0000${header}`
        : undefined;
    const reply = (r: StoredResponse, replay: boolean) => {
      res.writeHead(r.status, {
        'content-type': 'application/json; charset=utf-8',
        ...r.headers,
        ...(replay ? { 'idempotent-replayed': 'true' } : {}),
      });
      res.end(r.body);
    };
    if (!key) return reply(await fn(), false);
    while (inflightKeys.has(key)) await inflightKeys.get(key)!.catch(() => undefined);
    const stored = await hub.store.getIdempotent(key);
    if (stored) return reply(stored, true);
    const work = fn();
    inflightKeys.set(key, work);
    try {
      const response = await work;
      // Only settled outcomes are remembered; a failure may be retried with the same key.
      const kept = response.status < 500 ? await hub.store.putIdempotent(key, response) : response;
      reply(kept, false);
    } finally {
      inflightKeys.delete(key);
    }
  }

  function json(
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): StoredResponse {
    return { status, body: JSON.stringify(body), headers };
  }

  const moved = (live: LiveDoc, ifMatch: number | undefined) =>
    ifMatch !== undefined && ifMatch !== live.headSeq;
  const preconditionFailed = (live: LiveDoc, ifMatch: number) =>
    json(
      412,
      {
        error: `version moved: If-Match ${ifMatch}, current ${live.headSeq}`,
        version: live.headSeq,
      },
      { etag: etag(live) },
    );

  async function writeDoc(
    user: User,
    name: DocName,
    ifMatch: number | undefined,
    kindOfEntry: 'patch' | 'restore',
    makePatch: (live: LiveDoc) => Promise<Patch>,
  ): Promise<StoredResponse> {
    const full = `${name.kind}:${name.id}`;
    const kind = kindOf(name);
    return hub.with(full, async (live) => {
      await live.settled();
      if (moved(live, ifMatch)) return preconditionFailed(live, ifMatch!);
      const patch = await makePatch(live);
      // makePatch may wait (time travel reads the log): check the version again after it.
      if (moved(live, ifMatch)) return preconditionFailed(live, ifMatch!);
      const ctx = { clock, writer: user.id };
      // Dry run on a copy: invalid input is refused with per-field errors and changes nothing.
      const probe = new Y.Doc();
      Y.applyUpdate(probe, Y.encodeStateAsUpdate(live.doc));
      applyPatch(probe, kind, patch, ctx);
      const checked = validateDocument(kind, materialize(probe, kind, name.id));
      probe.destroy();
      if (!checked.ok) return json(400, { error: 'invalid document', issues: checked.issues });
      const result = await live.submitEdit(
        (origin) => applyPatch(live.doc, kind, patch, ctx, origin),
        user.id,
        'http',
        kindOfEntry,
      );
      if (result.status === 'applied') deps.metrics.updatesIn.inc();
      return json(200, live.json(), { etag: etag(live) });
    });
  }

  const patchDoc = async (req: IncomingMessage, res: ServerResponse, name: DocName) => {
    const user = authenticate(req);
    if (!canWrite(user, name)) throw new HttpError(403, writeRefusal(user, name));
    const ifMatch = parseEtag(req.headers['if-match'] as string | undefined);
    if (Number.isNaN(ifMatch))
      throw new HttpError(400, 'If-Match must be a version ETag such as "12"');
    const body = await readJson(req);
    const checked = checkPatch(kindOf(name), body);
    if (!checked.ok) {
      sendJson(res, 400, { error: 'invalid patch', issues: checked.issues });
      return;
    }
    await idempotent(req, res, user, `PATCH ${name.kind}:${name.id}`, () =>
      writeDoc(user, name, ifMatch, 'patch', async () => checked.value),
    );
  };

  const restoreDoc = async (req: IncomingMessage, res: ServerResponse, name: DocName) => {
    const user = authenticate(req);
    if (!canWrite(user, name)) throw new HttpError(403, writeRefusal(user, name));
    const body = (await readJson(req)) as { version?: unknown } | undefined;
    const version = body?.version;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
      throw new HttpError(400, 'body must be {"version": <number ≥ 1>}');
    }
    const full = `${name.kind}:${name.id}`;
    const head = await hub.store.head(full);
    if (!head || version > head.seq) throw new HttpError(404, `version ${version} does not exist`);
    const ifMatch = parseEtag(req.headers['if-match'] as string | undefined);
    await idempotent(req, res, user, `RESTORE ${full}`, () =>
      writeDoc(user, name, Number.isNaN(ifMatch) ? undefined : ifMatch, 'restore', async (live) => {
        const old = await hub.docAt(full, version);
        const target = materialize(old, kindOf(name), name.id);
        old.destroy();
        return patchToReach(kindOf(name), live.json(), target);
      }),
    );
  };

  const history = async (req: IncomingMessage, res: ServerResponse, url: URL, name: DocName) => {
    const user = authenticate(req);
    if (!canRead(user, name)) throw new HttpError(403, 'not allowed to read this document');
    const full = `${name.kind}:${name.id}`;
    const after = Number(url.searchParams.get('after') ?? 0);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 500), 5_000);
    const entries = await hub.store.readLog(
      full,
      Number.isFinite(after) ? after : 0,
      Number.isFinite(limit) ? limit : 500,
    );
    const head = await hub.store.head(full);
    sendJson(res, 200, {
      doc: full,
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
    });
  };

  const listDocs: Handler = async (req, res, url) => {
    authenticate(req);
    const kind = url.searchParams.get('kind') ?? '';
    if (kind !== '' && !(kind in documentKinds))
      throw new HttpError(400, 'kind must be product or profile');
    const heads = await hub.store.listDocs(kind ? `${kind}:` : '');
    sendJson(
      res,
      200,
      heads.map((h) => ({ doc: h.doc, version: h.seq, updatedAt: h.updatedAt })),
    );
  };

  const batchSync: Handler = async (req, res) => {
    const user = authenticate(req);
    const body = (await readJson(req, 8 * 1024 * 1024)) as
      { docs?: Record<string, unknown> } | undefined;
    const docs = body?.docs;
    if (!docs || typeof docs !== 'object')
      throw new HttpError(400, 'body must be {"docs": {"<docName>": "<base64 state vector>"}}');
    const names = Object.keys(docs);
    if (names.length > 1_000) throw new HttpError(400, 'at most 1000 documents per request');
    const out: Record<string, { update: string; version: number }> = {};
    const errors: Record<string, string> = {};
    for (const raw of names) {
      const parsed = parseDocName(raw);
      if (!parsed.ok) {
        errors[raw] = parsed.error;
        continue;
      }
      if (!canRead(user, parsed.name)) {
        errors[raw] = 'forbidden';
        continue;
      }
      const head = await hub.store.head(raw);
      if (!head) continue;
      const sv = docs[raw];
      try {
        const stateVector =
          typeof sv === 'string' && sv.length > 0
            ? new Uint8Array(Buffer.from(sv, 'base64'))
            : undefined;
        const doc = await hub.docAt(raw, head.seq);
        out[raw] = {
          update: Buffer.from(Y.encodeStateAsUpdate(doc, stateVector)).toString('base64'),
          version: head.seq,
        };
        doc.destroy();
      } catch {
        errors[raw] = 'invalid state vector';
      }
    }
    sendJson(res, 200, { docs: out, errors });
  };

  const demoSignIn: Handler = async (req, res) => {
    if (!deps.demoAuth) throw new HttpError(404, 'demo sign-in is disabled');
    const body = (await readJson(req)) as { name?: unknown; role?: unknown } | undefined;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    const role = body?.role;
    if (name.length < 1 || name.length > 40)
      throw new HttpError(400, 'name must be 1-40 characters');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new HttpError(400, 'role must be viewer, editor or admin');
    }
    const id =
      name
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 64) || 'user';
    const token = signToken(deps.authSecret, { sub: id, role: role as Role, name });
    sendJson(res, 200, { token, user: { id, name, role } });
  };

  const health: Handler = async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  };

  const ready: Handler = async (_req, res) => {
    const checks: Record<string, boolean> = { store: await hub.store.ping().catch(() => false) };
    for (const [name, check] of Object.entries(deps.readiness ?? {}))
      checks[name] = await check().catch(() => false);
    const ok = Object.values(checks).every(Boolean);
    sendJson(res, ok ? 200 : 503, { ready: ok, checks });
  };

  const metricsText: Handler = async (_req, res) => {
    deps.metrics.loadedDocs.set(hub.loadedCount());
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
    res.end(await deps.metrics.registry.metrics());
  };

  /** Returns false when no route matched. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    try {
      if (path === '/healthz' && method === 'GET') await health(req, res, url);
      else if (path === '/readyz' && method === 'GET') await ready(req, res, url);
      else if (path === '/metrics' && method === 'GET') await metricsText(req, res, url);
      else if (path === '/api/auth/demo' && method === 'POST') await demoSignIn(req, res, url);
      else if (path === '/api/docs' && method === 'GET') await listDocs(req, res, url);
      else if (path === '/api/sync' && method === 'POST') await batchSync(req, res, url);
      else if (path.startsWith('/api/docs/')) {
        const rest = path.slice('/api/docs/'.length);
        const [rawName, action, extra] = rest.split('/');
        if (!rawName || extra !== undefined) throw new HttpError(404, 'no such route');
        const name = docNameOf(rawName);
        if (action === undefined && method === 'GET') await getDoc(req, res, url, name);
        else if (action === undefined && method === 'PATCH') await patchDoc(req, res, name);
        else if (action === 'history' && method === 'GET') await history(req, res, url, name);
        else if (action === 'restore' && method === 'POST') await restoreDoc(req, res, name);
        else throw new HttpError(405, `${method} is not supported here`);
      } else if (path.startsWith('/api/')) throw new HttpError(404, 'no such route');
      else return false;
    } catch (error) {
      if (error instanceof HttpError)
        sendJson(res, error.status, { error: error.message, ...error.extra });
      else {
        deps.logger.error({ err: error, path }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.end();
      }
    }
    return true;
  };
}
