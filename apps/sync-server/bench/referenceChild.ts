/**
 * Benchmark child process: the reference relay, `@y/websocket-server` 0.1.1's `setupWSConnection`
 * on a `ws` 8 server (what its CLI does, minus persistence, which it no longer enables by default:
 * documents live in memory and are never unloaded). With PRELOAD_DB and PRELOAD_DOC it first
 * applies, one by one, every update of that document's log from a Concord SQLite file to the
 * in-memory doc, so it holds the same history. IPC: childIpc.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { docs, getYDoc, setupWSConnection } from '@y/websocket-server/utils';
import { serveBenchIpc } from './childIpc.js';

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

serveBenchIpc({
  port: (http.address() as AddressInfo).port,
  info: { preloadMs, preloaded },
  loadedDocs: () => docs.size,
  stop: () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      http.close(() => resolve());
      setTimeout(resolve, 3_000).unref();
    }),
});
