/**
 * Builds a server from its parts: an HTTP server with the API, the static web app and the
 * WebSocket relay, over an event store and a change feed. No environment access here: see main.ts.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { ServerConfig } from './config.js';
import { DocHub } from './docs/docHub.js';
import { InProcessChangeFeed, type ChangeFeed } from './events/changeEvents.js';
import { createApi, type DocReadCache } from './http/api.js';
import { staticHandler } from './http/staticFiles.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { EventStore } from './store/eventStore.js';
import { attachWebSockets } from './ws/wsServer.js';

export interface ServerParts {
  readonly store: EventStore;
  readonly feed?: ChangeFeed;
  readonly logger?: Logger;
  readonly readiness?: Record<string, () => Promise<boolean>>;
  readonly readCache?: DocReadCache;
}

export interface RunningServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly http: Server;
  readonly hub: DocHub;
  readonly feed: ChangeFeed;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Stop accepting, close sockets with "going away", flush the log, close the store. */
  close(): Promise<void>;
}

export async function startServer(
  config: ServerConfig,
  parts: ServerParts,
): Promise<RunningServer> {
  if (!config.authSecret) throw new Error('startServer: authSecret is required');
  const logger = parts.logger ?? pino({ level: config.logLevel });
  const metrics = createMetrics();
  const feed = parts.feed ?? new InProcessChangeFeed();
  const hub = new DocHub(parts.store, feed, metrics, logger, {
    idleUnloadMs: config.idleUnloadMs,
    snapshotEvery: config.snapshotEvery,
    maxSkewMs: config.maxSkewMs,
    maxDocBytes: config.maxDocBytes,
  });
  const api = createApi({
    hub,
    metrics,
    logger,
    authSecret: config.authSecret,
    demoAuth: config.demoAuth,
    maxSkewMs: config.maxSkewMs,
    ...(parts.readiness ? { readiness: parts.readiness } : {}),
    ...(parts.readCache ? { readCache: parts.readCache } : {}),
  });
  const serveStatic = staticHandler(config.webDist);
  const http = createHttpServer((req, res) => {
    api(req, res)
      .then((handled) => {
        if (handled) return;
        if (serveStatic(req, res)) return;
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'unhandled request error');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  const ws = attachWebSockets(
    http,
    hub,
    {
      authSecret: config.authSecret,
      maxFrameBytes: config.maxFrameBytes,
      maxMessagesPerSecond: config.maxMessagesPerSecond,
      maxBufferedBytes: config.maxBufferedBytes,
    },
    metrics,
    logger,
  );
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    http,
    hub,
    feed,
    metrics,
    logger,
    close() {
      closing ??= (async () => {
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        await ws.close();
        http.closeAllConnections();
        await httpClosed;
        await hub.close();
        await feed.close();
        await parts.store.close();
      })();
      return closing;
    },
  };
}
