/**
 * Scale-out composition: one sync-server instance over PostgreSQL (the shared log) and Redis
 * (fan-out between instances, change events, read cache, projections). `main.ts` uses it when
 * DATABASE_URL and REDIS_URL are set; tests start several in one process.
 */
import { Redis, type RedisOptions } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { PostgresEventStore } from '../store/postgresEventStore.js';
import { PostgresAccountStore } from '../accounts/postgresAccountStore.js';
import { PostgresReservationStore } from '../orders/postgresReservationStore.js';
import { PostgresChargeBook } from '../orders/postgresChargeBook.js';
import { startCatalogProjection } from './catalogProjection.js';
import { RedisAccountEvents } from './redisAccountEvents.js';
import { OutboxRelay, type OutboxRelayOptions } from './outboxRelay.js';
import { RedisReadCache } from './readCache.js';
import { RedisChangeFeed } from './redisChangeFeed.js';
import type { FollowerOptions } from '../docs/follower.js';
import { newInstanceId, RedisFanOut, type FanOutOptions } from './redisFanOut.js';
import { createScaleMetrics, type ScaleMetrics } from './scaleMetrics.js';
import { StreamConsumer, type StreamConsumerOptions } from './streamConsumer.js';
import { orderMovesChannel, paymentGroup } from './paymentGroup.js';

export interface ScaleOutOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** PostgreSQL schema (default `concord`). */
  readonly schema?: string;
  /** Redis key prefix (default `concord:`). */
  readonly prefix?: string;
  readonly instanceId?: string;
  readonly logger?: Logger;
  /** Fan-out transport options, and the follower's (gap grace, sweep interval). */
  readonly fanOut?: Partial<FanOutOptions> & FollowerOptions;
  /** Pool size per instance (default 10). */
  readonly pgPoolSize?: number;
  /** Read-cache TTL (default 30 s): the staleness bound when invalidation is down. */
  readonly cacheTtlMs?: number;
  /** Options for this instance's consumers (read-cache invalidation, catalog projection, order saga). */
  readonly consumers?: Partial<Pick<StreamConsumerOptions, 'claimIdleMs' | 'blockMs' | 'batch'>>;
  readonly outbox?: Partial<Pick<OutboxRelayOptions, 'intervalMs' | 'graceMs' | 'windowMs'>>;
  /** Start the read-cache, catalog and order-saga consumers here (default true). */
  readonly runConsumers?: boolean;
}

export interface ScaleOutServer extends RunningServer {
  readonly instanceId: string;
  readonly store: PostgresEventStore;
  readonly redis: Redis;
  readonly fanOut: RedisFanOut;
  readonly changeFeed: RedisChangeFeed;
  readonly readCache: RedisReadCache;
  readonly consumers: readonly StreamConsumer[];
  readonly outboxRelay: OutboxRelay;
  readonly scaleMetrics: ScaleMetrics;
  readonly prefix: string;
  /** Every Redis connection this instance opened (tests kill them to simulate a network blip). */
  readonly redisConnections: readonly Redis[];
}

/** Resolve within `ms` or report false. */
function withTimeout(check: Promise<unknown>, ms = 1_000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    check.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

export async function startScaleOut(
  config: ServerConfig,
  options: ScaleOutOptions,
): Promise<ScaleOutServer> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const prefix = options.prefix ?? 'concord:';
  const instanceId = options.instanceId ?? newInstanceId();
  const connections: Redis[] = [];
  const connect = (name: string, extra: RedisOptions = {}) => {
    const r = new Redis(options.redisUrl, {
      connectionName: `concord:${instanceId}:${name}`,
      // keep retrying while Redis is away; callers that must not wait use timeouts
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      ...extra,
    });
    r.on('error', (error: Error) => logger.debug({ err: error, conn: name }, 'redis error'));
    connections.push(r);
    return r;
  };
  const store = await PostgresEventStore.connect({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
    ...(options.pgPoolSize ? { max: options.pgPoolSize } : {}),
  });
  const accounts = await PostgresAccountStore.connect({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const reservations = await PostgresReservationStore.connect({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const chargeBook = await PostgresChargeBook.connect({
    connectionString: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const redis = connect('cmd');
  const reader = connect('fanout-reader', { maxRetriesPerRequest: null });
  const accountEvents = new RedisAccountEvents(
    redis,
    connect('accounts-sub', { maxRetriesPerRequest: null }),
    instanceId,
    logger,
    prefix,
  );
  const scaleMetrics = createScaleMetrics();
  const redisReady = async () => {
    const ok = await withTimeout(redis.ping(), 1_000);
    scaleMetrics.redisUp.set(ok ? 1 : 0);
    return ok;
  };
  const changeFeed = new RedisChangeFeed(redis, scaleMetrics, logger, { prefix });
  const readCache = new RedisReadCache(redis, scaleMetrics, {
    prefix,
    ...(options.cacheTtlMs ? { ttlMs: options.cacheTtlMs } : {}),
  });
  const fanOut = new RedisFanOut(redis, reader, scaleMetrics, logger, {
    prefix,
    instanceId,
    ...options.fanOut,
  });
  let server: RunningServer;
  try {
    await accountEvents.start();
    server = await startServer(config, {
      store,
      accounts,
      reservations,
      chargeBook,
      sagaEventsFromGroup: options.runConsumers !== false,
      accountEvents,
      logger,
      feed: changeFeed,
      fanOut,
      readCache,
      readiness: { postgres: () => store.ping(), redis: redisReady },
      follower: {
        gapGraceMs: options.fanOut?.gapGraceMs ?? 250,
        sweepMs: options.fanOut?.sweepMs ?? 5_000,
      },
    });
  } catch (error) {
    for (const c of connections) c.disconnect();
    await store.close();
    await accounts.close();
    await reservations.close();
    await chargeBook.close();
    throw error;
  }
  scaleMetrics.register(server.metrics.registry);
  const consumerOptions = { prefix, consumer: instanceId, ...options.consumers };
  const consumers =
    options.runConsumers === false
      ? []
      : [
          new StreamConsumer(redis, readCache.handler(), scaleMetrics, logger, {
            ...consumerOptions,
            group: 'read-cache',
            startId: '$',
          }),
          startCatalogProjection(redis, scaleMetrics, logger, consumerOptions),
          // The order saga: each status change to one instance (the ledger's conditional
          // transitions make a duplicate harmless; a lost one is resumed from the ledger).
          new StreamConsumer(redis, (event) => server.saga.handle(event), scaleMetrics, logger, {
            ...consumerOptions,
            group: 'order-saga',
            startId: '$',
          }),
          // Payments, unless a payment process of its own takes them (paymentMain.ts).
          ...(server.payments
            ? [paymentGroup(redis, server.payments, scaleMetrics, logger, consumerOptions)]
            : []),
        ];
  for (const c of consumers) await c.start();
  // A payment process of its own says when it moved an order: the saga takes the next step at
  // once (its sweep would find it anyway).
  if (!server.payments) {
    const moves = connect('order-moves', { maxRetriesPerRequest: null });
    await moves.subscribe(orderMovesChannel(prefix));
    moves.on('message', (_channel: string, order: string) => void server.saga.drive(order));
  }
  const outboxRelay = new OutboxRelay(store, redis, changeFeed, scaleMetrics, logger, {
    prefix,
    instanceId,
    ...options.outbox,
  });
  outboxRelay.start();
  scaleMetrics.onCollect(async () => {
    for (const key of [fanOut.streamKey, changeFeed.streamKey]) {
      scaleMetrics.streamLength.set({ stream: key.slice(prefix.length) }, await redis.xlen(key));
    }
    const groups = (await redis.xinfo('GROUPS', changeFeed.streamKey)) as unknown[][];
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      const group = String(info.get('name'));
      scaleMetrics.consumerPending.set({ group }, Number(info.get('pending') ?? 0));
      const lag = info.get('lag');
      if (lag !== null && lag !== undefined) scaleMetrics.consumerLag.set({ group }, Number(lag));
    }
  });
  const closeServer = server.close.bind(server);
  let closing: Promise<void> | undefined;
  return {
    ...server,
    instanceId,
    store,
    redis,
    fanOut,
    changeFeed,
    readCache,
    consumers,
    outboxRelay,
    scaleMetrics,
    prefix,
    get redisConnections() {
      return [...connections, ...consumers.flatMap((c) => c.connections)];
    },
    close() {
      closing ??= (async () => {
        await outboxRelay.close();
        await closeServer();
        await Promise.all(consumers.map((c) => c.close()));
        await Promise.all(
          connections.map((c) =>
            c.status === 'end'
              ? undefined
              : withTimeout(c.quit(), 1_000).then((ok) => ok || c.disconnect()),
          ),
        );
      })();
      return closing;
    },
  };
}
