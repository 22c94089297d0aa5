/**
 * Benchmark child process: Concord's sync server with the real SQLite event store in DATA_DIR
 * (synchronous=FULL, WAL — the production persistence path), default limits (`testConfig`) except
 * what a scenario sets in CONCORD_CONFIG (JSON, e.g. `{"idleUnloadMs":2000}`). IPC: childIpc.ts.
 */
import { join } from 'node:path';
import { testConfig, type ServerConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { serveBenchIpc } from './childIpc.js';

const dataDir = process.env.DATA_DIR;
const secret = process.env.AUTH_SECRET;
if (!dataDir || !secret) throw new Error('ourServerChild: needs DATA_DIR and AUTH_SECRET');
const overrides = JSON.parse(process.env.CONCORD_CONFIG || '{}') as Partial<ServerConfig>;

const store = new SqliteEventStore(join(dataDir, 'concord.db'));
const server = await startServer(
  testConfig({
    authSecret: secret,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    ...overrides,
  }),
  { store },
);

serveBenchIpc({
  port: server.port,
  loadedDocs: () => server.hub.loadedCount(),
  stop: () => server.close(),
});
