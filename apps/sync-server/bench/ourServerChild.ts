/**
 * Benchmark child process: Concord's sync server with the real SQLite event store in DATA_DIR
 * (synchronous=FULL, WAL — the production persistence path). Reports its port over IPC; answers
 * `cpu` requests with process.cpuUsage(); `stop` closes the server (flushing the log) and exits.
 */
import { join } from 'node:path';
import { testConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';

const dataDir = process.env.DATA_DIR;
const secret = process.env.AUTH_SECRET;
if (!dataDir || !secret || !process.send)
  throw new Error('ourServerChild: needs DATA_DIR, AUTH_SECRET and IPC');

const store = new SqliteEventStore(join(dataDir, 'concord.db'));
const server = await startServer(
  testConfig({ authSecret: secret, dataDir, host: '127.0.0.1', port: 0, logLevel: 'warn' }),
  { store },
);

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'cpu') process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  if (msg.cmd === 'stop') {
    const timer = setTimeout(() => process.exit(2), 10_000);
    server.close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      () => process.exit(1),
    );
  }
});
process.send({ port: server.port });
