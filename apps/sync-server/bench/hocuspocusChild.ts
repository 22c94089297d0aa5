/**
 * Benchmark child process: `@hocuspocus/server` 3.4.4 with its SQLite extension
 * (`@hocuspocus/extension-sqlite`: a `documents(name, data)` table holding one merged Yjs state
 * per document) in DATA_DIR/hocuspocus.sqlite, default configuration: no authentication hook,
 * stores debounced (2 s, at most 10 s), a document unloaded when its last connection closes
 * (after storing it). The `Hocuspocus` instance runs behind an HTTP + `ws` server of our own,
 * wired as its `Server` class wires it (upgrade → `handleConnection`), only so that it listens on
 * 127.0.0.1 (`Server.listen` binds every interface). IPC: childIpc.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { Hocuspocus } from '@hocuspocus/server';
import { WebSocketServer } from 'ws';
import { serveBenchIpc } from './childIpc.js';

const dataDir = process.env.DATA_DIR;
if (!dataDir) throw new Error('hocuspocusChild: needs DATA_DIR');

const sqlite = new SQLite({ database: join(dataDir, 'hocuspocus.sqlite') });
const hocuspocus = new Hocuspocus({ quiet: true, extensions: [sqlite] });
const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('okay');
});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws, req) => {
  ws.setMaxListeners(Number.POSITIVE_INFINITY);
  ws.on('error', (error) => console.error('hocuspocus child: socket error', error));
  hocuspocus.handleConnection(ws, req);
});
http.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));

serveBenchIpc({
  port: (http.address() as AddressInfo).port,
  loadedDocs: () => hocuspocus.getDocumentsCount(),
  async stop() {
    // As Server.destroy: close the connections (each last one stores and unloads its document),
    // wait for the documents to unload, then let SQLite finish the writes it was handed.
    http.close();
    wss.close();
    hocuspocus.closeConnections();
    const deadline = Date.now() + 5_000;
    while (hocuspocus.getDocumentsCount() > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise<void>((resolve) =>
      sqlite.db ? sqlite.db.close(() => resolve()) : resolve(),
    );
  },
});
