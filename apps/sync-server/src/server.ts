/**
 * Builds a server from its parts: the document hub (write pipeline, group commit, follower) over
 * an event store, a change feed and a fan-out, and the HTTP server (API, WebSocket endpoint, web
 * app). No environment access here: see main.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { CloseCode } from '@concord/shared';
import { Tokens } from './auth/tokens.js';
import type { ServerConfig } from './config.js';
import { DocHub } from './docs/docHub.js';
import type { FollowerOptions } from './docs/follower.js';
import { InProcessChangeFeed, type ChangeFeed } from './events/changeEvents.js';
import { InProcessFanOut, type FanOut } from './fanout/fanOut.js';
import { buildApp } from './http/app.js';
import type { DocReadCache } from './http/context.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { EventStore } from './store/eventStore.js';
import { heartbeat, reapUnupgradedSockets } from './ws/wsRoute.js';

export interface ServerParts {
  readonly store: EventStore;
  readonly feed?: ChangeFeed;
  readonly fanOut?: FanOut;
  readonly logger?: Logger;
  readonly readiness?: Record<string, () => Promise<boolean>>;
  readonly readCache?: DocReadCache;
  readonly follower?: FollowerOptions;
}

export interface RunningServer {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly http: Server;
  readonly hub: DocHub;
  readonly feed: ChangeFeed;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly tokens: Tokens;
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
  const fanOut = parts.fanOut ?? new InProcessFanOut();
  const tokens = new Tokens(config.authSecret);
  const hub = new DocHub(parts.store, feed, fanOut, metrics, logger, {
    idleUnloadMs: config.idleUnloadMs,
    snapshotEvery: config.snapshotEvery,
    broadcastWindowMs: config.broadcastWindowMs,
    commitWindowMs: config.commitWindowMs,
    maxSkewMs: config.maxSkewMs,
    maxDocBytes: config.maxDocBytes,
    ...parts.follower,
  });
  await hub.start();
  const app = await buildApp(
    {
      hub,
      tokens,
      metrics,
      logger,
      demoAuth: config.demoAuth,
      tokenTtlSeconds: config.tokenTtlSeconds,
      readiness: parts.readiness ?? {},
      readCache: parts.readCache,
    },
    {
      webDist: config.webDist,
      maxFrameBytes: config.maxFrameBytes,
      rateLimitPerMinute: config.rateLimitPerMinute,
      rateLimitPerAddressPerMinute: config.rateLimitPerAddressPerMinute,
      maxConnectionsPerUser: config.maxConnectionsPerUser,
      connection: {
        maxMessagesPerSecond: config.maxMessagesPerSecond,
        maxBufferedBytes: config.maxBufferedBytes,
      },
    },
  );
  reapUnupgradedSockets(app.server, app.websocketServer);
  await app.listen({ port: config.port, host: config.host });
  const stopHeartbeat = heartbeat(app.websocketServer.clients);
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    app,
    http: app.server,
    hub,
    feed,
    metrics,
    logger,
    tokens,
    close() {
      closing ??= (async () => {
        stopHeartbeat();
        for (const ws of app.websocketServer.clients)
          ws.close(CloseCode.goingAway, 'server shutting down');
        const closed = app.close();
        app.server.closeAllConnections();
        await closed;
        await hub.close();
        await feed.close();
        await parts.store.close();
      })();
      return closing;
    },
  };
}
