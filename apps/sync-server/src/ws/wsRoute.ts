/**
 * The WebSocket endpoint, `/<docName>?token=<jwt>[&concord=1]` (PROTOCOL.md); a browser signed
 * in with a session sends its access cookie instead of a token. Upgrades run through Fastify's
 * request lifecycle, so rate limits apply to them as to any request; the token is verified before
 * the upgrade completes, and name, token and permission failures close the socket with a named
 * code before any document data is sent. Open connections follow their account live: disabled,
 * signed out or with a new role, a person's sockets close on every instance (SPEC ACC6). Nothing a
 * client sends here can throw out of the handler (SPEC CRASH1).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import {
  CloseCode,
  EXTENSION_PARAM,
  EXPECTED_USER_PARAM,
  EXTENSION_VERSION,
  SCHEMA_PARAM,
  canRead,
  parseDocName,
} from '@concord/shared';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import { expectedUser } from '../auth/authenticator.js';
import type { VerifyResult } from '../auth/tokens.js';
import { ACCESS_COOKIE } from '../http/sessionCookies.js';
import type { DocHub } from '../docs/docHub.js';
import type { FileHandler } from '../http/staticFiles.js';
import type { Metrics } from '../metrics.js';
import { closeReason } from '../protocol/closeReason.js';
import { Connection, type ConnectionOptions } from './connection.js';

export interface WsRouteDeps {
  readonly hub: DocHub;
  readonly auth: Authenticator;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly options: ConnectionOptions;
  /** Serves the plain-HTTP GETs of single-segment paths (the app's files). */
  readonly files: FileHandler;
  /** Open WebSockets one user may hold at once (SPEC LIM5). */
  readonly maxConnectionsPerUser: number;
}

const verified = new WeakMap<FastifyRequest, VerifyResult>();
/** The response Fastify routed an upgrade with: detached from the socket once it is a WebSocket. */
const upgradeResponses = new WeakMap<FastifyRequest, ServerResponse>();

/**
 * Once the socket is a WebSocket, nothing of the HTTP request that upgraded it is needed: the
 * routing response lets go of the socket, and the plugin's error listener (which holds the request
 * and reply) gives way to the connection's own. A connection then holds no request, reply, headers
 * or request logger for its lifetime (open documents × connections are many).
 */
function releaseUpgrade(ws: WebSocket, req: FastifyRequest): void {
  upgradeResponses.get(req)?.detachSocket(req.raw.socket);
  upgradeResponses.delete(req);
  for (const listener of ws.listeners('error')) ws.off('error', listener as () => void);
}

export function wsRoute(app: FastifyInstance, deps: WsRouteDeps): void {
  const { hub, auth, metrics, logger } = deps;
  const openByUser = new Map<string, Set<Connection>>();

  // Look again at each of a person's connections here: closed when they may no longer come in,
  // closed to reconnect in their new role when it changed (ACC6).
  const recheck = (userId: string) => {
    for (const conn of [...(openByUser.get(userId) ?? [])]) {
      void auth.directory.admit(conn.user).then(
        (now) => {
          if (conn.closed) return;
          if (!now.ok) conn.close(CloseCode.unauthorized, now.error);
          else if (now.user.role !== conn.user.role)
            conn.close(CloseCode.sessionExpired, `your role is now ${now.user.role}: reconnect`);
        },
        (error: unknown) => logger.warn({ err: error }, 'account check failed'),
      );
    }
  };
  // At once when a change is announced; and every 30 s for everyone, in case an announcement was
  // lost (the directory's answers are at most 5 s old).
  auth.directory.onChange((change) => recheck(change.userId));
  const sweep = setInterval(() => {
    for (const userId of openByUser.keys()) recheck(userId);
  }, 30_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  function refuse(ws: WebSocket, code: number, reason: string): void {
    metrics.closes.inc({ code: String(code) });
    ws.close(code, closeReason(reason));
  }

  app.route<{ Params: { name: string } }>({
    method: 'GET',
    url: '/:name',
    preValidation: async (req, reply) => {
      if (!req.ws) return;
      upgradeResponses.set(req, reply.raw);
      const query = new URL(req.url, 'http://localhost').searchParams;
      const token = query.get('token');
      const cookie = token === null ? req.cookies[ACCESS_COOKIE] : undefined;
      if (cookie !== undefined && !sameOrigin(req)) {
        // A session cookie comes with any request the browser makes: only our own pages may use it.
        verified.set(req, {
          ok: false,
          error: 'cross-site WebSocket with a session cookie refused',
        });
        return;
      }
      const result = expectedUser(
        await auth.verify(token ?? cookie),
        query.get(EXPECTED_USER_PARAM),
      );
      verified.set(req, result);
      if (result.ok) req.user = result.user; // rate limits count per user
    },
    handler: (req, reply) => deps.files(req, reply, req.params.name),
    wsHandler: (ws, req) => {
      try {
        const name = req.params.name;
        const parsed = parseDocName(name);
        if (!parsed.ok) return refuse(ws, CloseCode.invalidDocName, parsed.error);
        const auth = verified.get(req) ?? { ok: false, error: 'missing token' };
        if (!auth.ok) return refuse(ws, CloseCode.unauthorized, auth.error);
        if (!canRead(auth.user, parsed.name))
          return refuse(ws, CloseCode.forbidden, 'not allowed to read this document');
        const open = openByUser.get(auth.user.id) ?? new Set<Connection>();
        if (open.size >= deps.maxConnectionsPerUser) {
          return refuse(
            ws,
            CloseCode.rateLimited,
            `at most ${deps.maxConnectionsPerUser} open connections per user`,
          );
        }
        openByUser.set(auth.user.id, open);
        const query = new URL(req.url, 'http://localhost').searchParams;
        const extensions = query.get(EXTENSION_PARAM) === EXTENSION_VERSION;
        const declared = query.get(SCHEMA_PARAM);
        // A Concord app that declares no schema predates the parameter: it knows version 1.
        const clientSchema = declared !== null ? Number(declared) || 1 : extensions ? 1 : undefined;
        releaseUpgrade(ws, req);
        const connection = new Connection(
          ws,
          auth.user,
          `${parsed.name.kind}:${parsed.name.id}`,
          extensions,
          clientSchema,
          hub,
          deps.options,
          metrics,
          logger,
        );
        open.add(connection);
        ws.once('close', () => {
          open.delete(connection);
          if (open.size === 0) openByUser.delete(auth.user.id);
        });
      } catch (error) {
        logger.error({ err: error }, 'WebSocket setup failed');
        ws.terminate();
      }
    },
  });
}

/** The upgrade comes from a page of this server (or from a client that sends no Origin). */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * An upgrade request that is answered over HTTP instead (a bad URL, a rate limit, a route that
 * is not a document) leaves its socket outside both the HTTP server and `ws`: end it when the
 * client ends it, and within `graceMs` at the latest unless it became a WebSocket.
 */
export function reapUnupgradedSockets(
  server: Server,
  wss: {
    on(event: 'connection', listener: (ws: WebSocket, req: IncomingMessage) => void): unknown;
  },
  graceMs = 10_000,
): void {
  // Until a socket becomes a WebSocket: its watchers, removed once it does (they hold the request).
  const watching = new WeakMap<IncomingMessage, () => void>();
  wss.on('connection', (_ws, req) => {
    watching.get(req)?.();
    watching.delete(req);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const reap = () => socket.destroy();
    const timer = setTimeout(reap, graceMs);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      socket.off('end', reap);
      socket.off('close', stop);
    };
    socket.once('end', reap);
    socket.once('close', stop);
    watching.set(req, stop);
  });
}

/** Ping every 30 s; drop sockets that did not answer the previous ping. */
export function heartbeat(clients: Set<WebSocket>): () => void {
  const alive = new WeakMap<WebSocket, boolean>();
  const timer = setInterval(() => {
    for (const ws of clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      if (!alive.has(ws)) ws.on('pong', () => alive.set(ws, true));
      alive.set(ws, false);
      ws.ping();
    }
  }, 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
