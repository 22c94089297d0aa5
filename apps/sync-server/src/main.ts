/**
 * Composition root: configuration from the environment, the SQLite store in DATA_DIR (or, with
 * DATABASE_URL and REDIS_URL, the scale-out parts: see scale/scaleOut.ts), logging,
 * and a clean shutdown on SIGTERM/SIGINT (sockets closed with "going away", the log flushed).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { SqliteAccountStore } from './accounts/sqliteAccountStore.js';
import { SqliteReservationStore } from './orders/sqliteReservationStore.js';
import { SqliteChargeBook } from './orders/sqliteChargeBook.js';
import { configFromEnv } from './config.js';
import { startScaleOut } from './scale/scaleOut.js';
import { startServer } from './server.js';
import { SqliteEventStore } from './store/sqliteEventStore.js';

const config = configFromEnv();
const logger = pino({ level: config.logLevel });
mkdirSync(config.dataDir, { recursive: true });

function authSecret(): string {
  if (config.authSecret) return config.authSecret;
  const file = join(config.dataDir, 'auth-secret');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
    logger.info({ file }, 'generated AUTH_SECRET');
  }
  return readFileSync(file, 'utf8').trim();
}

const here = dirname(fileURLToPath(import.meta.url));
const webDist = config.webDist ?? resolve(here, '../../../web/dist');
const serverConfig = { ...config, authSecret: authSecret(), webDist };
// DATABASE_URL + REDIS_URL: scale-out (PostgreSQL log, Redis fan-out/events/cache); else SQLite.
const scaleOut = Boolean(config.databaseUrl && config.redisUrl);
if (!scaleOut && config.paymentConsumer === 'external') {
  // The SQLite ledger has one writer, this process: a payment process could not share it.
  logger.fatal('PAYMENT_CONSUMER=external needs the scale-out ledger (DATABASE_URL and REDIS_URL)');
  process.exit(1);
}
const server =
  config.databaseUrl && config.redisUrl
    ? await startScaleOut(serverConfig, {
        databaseUrl: config.databaseUrl,
        redisUrl: config.redisUrl,
        schema: process.env.DATABASE_SCHEMA || undefined,
        prefix: process.env.REDIS_PREFIX || undefined,
        logger,
      })
    : await startServer(serverConfig, {
        store: new SqliteEventStore(join(config.dataDir, 'concord.db')),
        accounts: new SqliteAccountStore(join(config.dataDir, 'accounts.db')),
        reservations: new SqliteReservationStore(join(config.dataDir, 'orders.db')),
        chargeBook: new SqliteChargeBook(join(config.dataDir, 'payments.db')),
        logger,
      });
logger.info(
  {
    url: server.url,
    dataDir: resolve(config.dataDir),
    web: existsSync(webDist) ? webDist : null,
    mode: scaleOut ? 'scale-out' : 'embedded',
  },
  'Concord listening',
);
if (server.setupCode) {
  // Printed as plain text too, so a person starting the server sees where to go first.
  const link = `${server.url}/#/setup?code=${server.setupCode}`;
  logger.info(
    { link },
    'no account exists yet: open the setup link to create the first administrator',
  );
  process.stdout.write(
    `\n  Concord has no accounts yet. Create the first administrator here:\n  ${link}\n\n`,
  );
}
if (config.demoAuth)
  logger.warn('DEMO_AUTH is on: anyone who can reach this server can sign in as anyone');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
