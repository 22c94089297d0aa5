/**
 * Benchmark child process: the reference relay, `@y/websocket-server` 0.1.1's `setupWSConnection`
 * on a `ws` 8 server (what its CLI does, minus persistence, which it no longer enables by default).
 * With PRELOAD_DB and PRELOAD_DOC it first applies, one by one, every update of that document's
 * log from a Concord SQLite file to the in-memory doc, so both servers hold the same history.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { getYDoc, setupWSConnection } from '@y/websocket-server/utils';

if (!process.send) throw new Error('referenceChild: needs IPC');

let preloadMs = 0;
let preloaded = 0;
const dbPath = process.env.PRELOAD_DB;
const docName = process.env.PRELOAD_DOC;
if (dbPath && docName) {
  const started = performance.now();
  const db = new Database(dbPath, { readonly: true });
  const doc = getYDoc(docName);
  const rows = db
    .prepare<[string], { update: Buffer }>('SELECT "update" FROM log WHERE doc = ? ORDER BY seq')
    .iterate(docName);
  for (const row of rows) {
    Y.applyUpdate(
      doc,
      new Uint8Array(row.update.buffer, row.update.byteOffset, row.update.byteLength),
    );
    preloaded += 1;
  }
  db.close();
  preloadMs = performance.now() - started;
}

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('okay');
});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (conn, req) => setupWSConnection(conn, req));
http.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'cpu') process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  if (msg.cmd === 'stop') {
    for (const ws of wss.clients) ws.terminate();
    http.closeAllConnections();
    http.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  }
});
process.send({ port: (http.address() as AddressInfo).port, preloadMs, preloaded });
