/**
 * Composition root: configuration from the environment, the SQLite store in DATA_DIR, logging,
 * and a clean shutdown on SIGTERM/SIGINT (sockets closed with "going away", the log flushed).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { configFromEnv } from './config.js';
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
const store = new SqliteEventStore(join(config.dataDir, 'concord.db'));
const server = await startServer(
  { ...config, authSecret: authSecret(), webDist },
  { store, logger },
);
logger.info(
  { url: server.url, dataDir: resolve(config.dataDir), web: existsSync(webDist) ? webDist : null },
  'Concord listening',
);

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
