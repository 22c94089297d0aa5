/**
 * Builds a server from its parts: the document hub (write pipeline, group commit, follower) over
 * an event store, a change feed and a fan-out, and the HTTP server (API, WebSocket endpoint, web
 * app). No environment access here: see main.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { CloseCode, profileKind, type DocumentKind } from '@concord/shared';
import { AccountAdmin } from './accounts/accountAdmin.js';
import { InProcessAccountEvents, type AccountEvents } from './accounts/accountEvents.js';
import type { AccountStore } from './accounts/accountStore.js';
import { AccountDirectory } from './accounts/directory.js';
import { OidcVerifier } from './accounts/oidc.js';
import { Sessions } from './accounts/sessions.js';
import { SqliteAccountStore } from './accounts/sqliteAccountStore.js';
import { Authenticator } from './auth/authenticator.js';
import { Tokens } from './auth/tokens.js';
import type { ServerConfig } from './config.js';
import { DocHub } from './docs/docHub.js';
import { serverEdit } from './docs/serverEdit.js';
import type { FollowerOptions } from './docs/follower.js';
import { InProcessChangeFeed, type ChangeFeed } from './events/changeEvents.js';
import { InProcessFanOut, type FanOut } from './fanout/fanOut.js';
import { buildApp } from './http/app.js';
import type { DocReadCache } from './http/context.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { EventStore } from './store/eventStore.js';
import { heartbeat, reapUnupgradedSockets } from './ws/wsRoute.js';
import { OrderCommands } from './orders/orderCommands.js';
import { OrderDocs } from './orders/orderDocs.js';
import { OrderSaga } from './orders/orderSaga.js';
import type { PaymentProvider } from './orders/paymentProvider.js';
import { configuredPaymentConsumer, type PaymentConsumer } from './orders/paymentConsumer.js';
import type { ChargeBook } from './orders/chargeBook.js';
import { SqliteChargeBook } from './orders/sqliteChargeBook.js';
import { SagaMetrics } from './orders/sagaMetrics.js';
import type { ReservationStore } from './orders/reservationStore.js';
import { SqliteReservationStore } from './orders/sqliteReservationStore.js';
import { MemoryTrimmer, loadMallocTrim } from './memoryTrim.js';

export interface ServerParts {
  readonly store: EventStore;
  /** Accounts and sessions (default: SQLite in memory, for tests that bring none). */
  readonly accounts?: AccountStore;
  /** How account changes reach every instance (default: this process only). */
  readonly accountEvents?: AccountEvents;
  readonly feed?: ChangeFeed;
  readonly fanOut?: FanOut;
  readonly logger?: Logger;
  readonly readiness?: Record<string, () => Promise<boolean>>;
  readonly readCache?: DocReadCache;
  readonly follower?: FollowerOptions;
  /** The order ledger (default: SQLite in memory, for tests that bring none). */
  readonly reservations?: ReservationStore;
  /** The payment provider of the order saga (default: the simulator, configured by `config`). */
  readonly payments?: PaymentProvider;
  /** The simulator's books (default: SQLite in memory); closed with the server. */
  readonly chargeBook?: ChargeBook;
  /**
   * Scale-out: consumer groups hand the saga and the payment consumer their events
   * (`saga.handle`, `payments.handle`), not the feed.
   */
  readonly sagaEventsFromGroup?: boolean;
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
  readonly accounts: AccountStore;
  readonly admin: AccountAdmin;
  readonly sessions: Sessions;
  /** The first-run setup code while no account exists. */
  readonly setupCode: string | undefined;
  /** The order saga (drive, sweep, resume) and its ledger. */
  readonly saga: OrderSaga;
  /** The payment consumer, unless payments are taken by a process of their own. */
  readonly payments: PaymentConsumer | undefined;
  readonly ledger: ReservationStore;
  /** Stop accepting, close sockets with "going away", flush the log, close the store. */
  close(): Promise<void>;
}

export async function startServer(
  config: ServerConfig,
  parts: ServerParts,
): Promise<RunningServer> {
  if (!config.authSecret) throw new Error('startServer: authSecret is required');
  if (config.demoAuth && config.production)
    throw new Error(
      'DEMO_AUTH=on is refused with NODE_ENV=production: anyone could sign in as anyone',
    );
  const logger = parts.logger ?? pino({ level: config.logLevel });
  const metrics = createMetrics();
  const feed = parts.feed ?? new InProcessChangeFeed();
  const fanOut = parts.fanOut ?? new InProcessFanOut();
  const tokens = new Tokens(config.authSecret);
  const trim = config.trimAfterUnload ? await loadMallocTrim() : undefined;
  const trimmer = trim ? new MemoryTrimmer(trim) : undefined;
  const hub = new DocHub(parts.store, feed, fanOut, metrics, logger, {
    idleUnloadMs: config.idleUnloadMs,
    ...(trimmer ? { unloaded: () => trimmer.unloaded() } : {}),
    snapshotEvery: config.snapshotEvery,
    broadcastWindowMs: config.broadcastWindowMs,
    commitWindowMs: config.commitWindowMs,
    storedAskWaitMs: config.storedAskWaitMs,
    maxSkewMs: config.maxSkewMs,
    maxDocBytes: config.maxDocBytes,
    ...parts.follower,
  });
  await hub.start();
  const accounts = parts.accounts ?? new SqliteAccountStore(':memory:');
  const accountEvents = parts.accountEvents ?? new InProcessAccountEvents();
  const directory = new AccountDirectory(accounts, accountEvents);
  const sessions = new Sessions(directory, tokens, {
    accessTtlSeconds: config.accessTokenTtlSeconds,
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  const admin = new AccountAdmin(directory, sessions, async (account, actor) => {
    // Display names come from the account: its profile says so, as an edit by whoever named it.
    const writer = { id: actor.id, role: actor.role, name: actor.name, expiresAt: Infinity };
    const profile = { displayName: account.name, email: account.email };
    const result = await serverEdit(
      hub,
      writer,
      `profile:${account.id}`,
      profileKind as DocumentKind<object>,
      account.id,
      undefined,
      'patch',
      async () => profile,
    ).catch((error: unknown) => ({ status: 500, body: String(error) }));
    if (result.status !== 200)
      logger.warn(
        { user: account.id, result: result.body },
        'profile not updated from the account',
      );
  });
  const setupCode = await admin.setupRequired(config.setupCode);
  const ledger = parts.reservations ?? new SqliteReservationStore(':memory:');
  const chargeBook = parts.chargeBook ?? new SqliteChargeBook(':memory:');
  const orderDocs = new OrderDocs(hub);
  const now = () => Date.now();
  const saga = new OrderSaga(ledger, orderDocs, feed, logger, new SagaMetrics(metrics.registry), {
    sweepIntervalMs: config.orderSweepMs,
    stuckAfterMs: config.orderStuckAfterMs,
    now,
  });
  const payments =
    config.paymentConsumer === 'external'
      ? undefined
      : configuredPaymentConsumer({
          ledger,
          book: chargeBook,
          ...(parts.payments ? { provider: parts.payments } : {}),
          config,
          metrics: saga.metrics,
          logger,
          moved: (order) => void saga.drive(order),
        });
  const orders = new OrderCommands(ledger, orderDocs, saga, config.reservationTtlMs, now);
  const oidc = config.oidc && new OidcVerifier(config.oidc, directory);
  const auth = new Authenticator(tokens, directory, oidc);
  const app = await buildApp(
    {
      hub,
      tokens,
      auth,
      sessions,
      admin,
      metrics,
      logger,
      demoAuth: config.demoAuth,
      tokenTtlSeconds: config.tokenTtlSeconds,
      signInAttemptsPerMinute: config.signInAttemptsPerMinute,
      ssoIssuer: config.oidc?.issuer,
      readiness: parts.readiness ?? {},
      readCache: parts.readCache,
      orders,
    },
    {
      webDist: config.webDist,
      maxFrameBytes: config.maxFrameBytes,
      rateLimitPerMinute: config.rateLimitPerMinute,
      rateLimitPerAddressPerMinute: config.rateLimitPerAddressPerMinute,
      maxConnectionsPerUser: config.maxConnectionsPerUser,
      trustProxy: config.trustProxy,
      connection: {
        maxMessagesPerSecond: config.maxMessagesPerSecond,
        maxBufferedBytes: config.maxBufferedBytes,
      },
    },
  );
  saga.start(!parts.sagaEventsFromGroup);
  const unsubscribePayments =
    payments && !parts.sagaEventsFromGroup
      ? feed.subscribe((event) => payments.handle(event))
      : undefined;
  payments?.start();
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
    accounts,
    admin,
    sessions,
    setupCode,
    saga,
    payments,
    ledger,
    close() {
      closing ??= (async () => {
        stopHeartbeat();
        for (const ws of app.websocketServer.clients)
          ws.close(CloseCode.goingAway, 'server shutting down');
        const closed = app.close();
        app.server.closeAllConnections();
        await closed;
        unsubscribePayments?.();
        await payments?.close();
        await saga.close();
        await hub.close();
        trimmer?.close();
        await feed.close();
        await ledger.close();
        await chargeBook.close();
        directory.close();
        await accountEvents.close();
        await accounts.close();
        await parts.store.close();
      })();
      return closing;
    },
  };
}
