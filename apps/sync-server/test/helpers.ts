/** Test helpers: a real server on port 0, tokens, real y-websocket clients, condition waits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import {
  documentKinds,
  readErrorEvent,
  readSavedAck,
  MessageType,
  type ErrorEvent,
} from '@concord/shared';
import type { Role } from '../src/auth/tokens.js';
import { testConfig, type ServerConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import type { EventStore } from '../src/store/eventStore.js';
import { SqliteEventStore } from '../src/store/sqliteEventStore.js';
import { testToken } from './tokens.js';

export const SECRET = 'test-secret-of-sufficient-length';
/** The newest schema version this code knows of any kind (what an up-to-date app declares). */
export const SCHEMA = Math.max(...Object.values(documentKinds).map((k) => k.schemaVersion));

export function token(sub: string, role: Role, ttlSeconds = 3600): string {
  return testToken(SECRET, sub, role, ttlSeconds);
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'concord-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function startTestServer(
  options: { store?: EventStore; config?: Partial<ServerConfig> } = {},
): Promise<RunningServer> {
  const store = options.store ?? new SqliteEventStore(':memory:');
  return startServer(testConfig({ authSecret: SECRET, ...options.config }), { store });
}

export interface TestClient {
  /** The user id the client's token names (register writes must name it). */
  readonly user: string;
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly acks: { seq: number; stateVector: Uint8Array }[];
  readonly errors: ErrorEvent[];
  readonly closes: { code: number; reason: string }[];
  /** Is every local change contained in the last durable-save acknowledgement? */
  saved(): boolean;
  destroy(): void;
}

/** A real, unmodified y-websocket client; with `extensions` it opts in to acks and errors. */
export function connect(
  server: { wsUrl: string },
  docName: string,
  tok: string,
  options: { extensions?: boolean; doc?: Y.Doc } = {},
): TestClient {
  const doc = options.doc ?? new Y.Doc();
  const params: Record<string, string> = { token: tok };
  if (options.extensions) {
    params.concord = '1';
    params.schema = String(SCHEMA); // this code's schema versions
  }
  const provider = new WebsocketProvider(server.wsUrl, docName, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params,
    disableBc: true,
    maxBackoffTime: 300,
  });
  const acks: TestClient['acks'] = [];
  const errors: ErrorEvent[] = [];
  const closes: TestClient['closes'] = [];
  provider.messageHandlers[MessageType.savedAck] = (_e, decoder) => {
    acks.push(readSavedAck(decoder));
  };
  provider.messageHandlers[MessageType.error] = (_e, decoder) => {
    errors.push(readErrorEvent(decoder));
  };
  provider.on('connection-close', (event) => {
    if (event) closes.push({ code: event.code, reason: event.reason });
  });
  return {
    user: subjectOf(tok),
    doc,
    provider,
    acks,
    errors,
    closes,
    saved() {
      const last = acks.at(-1);
      if (!last) return false;
      const saved = Y.decodeStateVector(last.stateVector);
      for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(doc))) {
        if ((saved.get(client) ?? 0) < clock) return false;
      }
      return true;
    },
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** The `sub` claim of a token (without verifying it). */
function subjectOf(tok: string): string {
  try {
    const payload = JSON.parse(Buffer.from(tok.split('.')[1] ?? '', 'base64url').toString()) as {
      sub?: unknown;
    };
    return typeof payload.sub === 'string' ? payload.sub : '';
  } catch {
    return '';
  }
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function synced(client: TestClient): Promise<void> {
  return waitFor(() => client.provider.synced, 'client synced');
}

export async function api(
  server: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    headers: res.headers,
    json: json as Record<string, unknown>,
    text,
  };
}

export interface RawSocket {
  readonly ws: WebSocket;
  readonly messages: Uint8Array[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** A bare WebSocket that records every frame and the close code. */
export function rawConnect(url: string, headers: Record<string, string> = {}): RawSocket {
  const ws = new WebSocket(url, { headers });
  const messages: Uint8Array[] = [];
  ws.on('message', (data: Buffer) => messages.push(new Uint8Array(data)));
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, messages, opened, closed };
}
