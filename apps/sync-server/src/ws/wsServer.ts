/**
 * Accepts WebSocket upgrades at `/<docName>?token=<jwt>[&concord=1]`. The name and token are
 * checked before any document data is sent; a failure closes with a named code and a reason.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, EXTENSION_PARAM, EXTENSION_VERSION, parseDocName } from '@concord/shared';
import type { Logger } from 'pino';
import { verifyToken } from '../auth/jwt.js';
import { canRead } from '../auth/permissions.js';
import type { DocHub } from '../docs/docHub.js';
import type { Metrics } from '../metrics.js';
import { Connection, type ConnectionOptions } from './connection.js';

export interface WsOptions extends ConnectionOptions {
  readonly maxFrameBytes: number;
  readonly authSecret: string;
}

export function attachWebSockets(
  server: Server,
  hub: DocHub,
  options: WsOptions,
  metrics: Metrics,
  logger: Logger,
) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
  });
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      accept(ws, req);
    });
  });

  function refuse(ws: WebSocket, code: number, reason: string): void {
    metrics.closes.inc({ code: String(code) });
    ws.close(code, reason);
  }

  function accept(ws: WebSocket, req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let name: string;
    try {
      name = decodeURIComponent(url.pathname.slice(1));
    } catch {
      refuse(ws, CloseCode.invalidDocName, 'invalid document name: bad URL encoding');
      return;
    }
    const parsed = parseDocName(name);
    if (!parsed.ok) {
      refuse(ws, CloseCode.invalidDocName, parsed.error.slice(0, 120));
      return;
    }
    const auth = verifyToken(options.authSecret, url.searchParams.get('token'));
    if (!auth.ok) {
      refuse(ws, CloseCode.unauthorized, auth.error);
      return;
    }
    if (!canRead(auth.user, parsed.name)) {
      refuse(ws, CloseCode.forbidden, 'not allowed to read this document');
      return;
    }
    const extensions = url.searchParams.get(EXTENSION_PARAM) === EXTENSION_VERSION;
    new Connection(ws, auth.user, name, parsed.name, extensions, hub, options, metrics, logger);
  }

  // Detect dead peers: ping every 30 s, drop those that did not answer the previous ping.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, 30_000);
  heartbeat.unref();

  return {
    wss,
    /** Close every socket with "going away" so clients reconnect elsewhere or later. */
    async close(): Promise<void> {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(CloseCode.goingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
