/**
 * Real, unmodified client providers holding full replicas (observers, fresh clients, reconnect
 * storms): `y-websocket`'s WebsocketProvider for Concord (opting in to its extensions) and the
 * reference, `@hocuspocus/provider`'s HocuspocusProvider for Hocuspocus — a plain y-websocket
 * client cannot talk to Hocuspocus 3, whose frames carry the document name and which waits for
 * an authentication frame first (see wire.ts).
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { MessageType, productKind, readErrorEvent, readSavedAck } from '@concord/shared';
import { HOST, token, waitFor, type ServerProcess } from './harness.js';

/** Error events (type 101) Concord sent to the benchmark's provider clients. */
export const serverErrors: string[] = [];

export interface YClient {
  readonly doc: Y.Doc;
  /** Remote updates are applied with this transaction origin. */
  readonly origin: unknown;
  /** Completed the initial sync (server's state received) on the current connection. */
  synced(): boolean;
  /** Resolves on the (next) completed initial sync. */
  whenSynced(): Promise<void>;
  connected(): boolean;
  connect(): void;
  disconnect(): void;
  destroy(): void;
}

export function yClient(
  server: ServerProcess,
  docName: string,
  user = 'observer',
  doc = new Y.Doc(),
): YClient {
  if (server.kind === 'hocuspocus') {
    // Its own socket per client, as a provider given a URL makes (Node 20 has no global WebSocket).
    const socket = new HocuspocusProviderWebsocket({
      url: `ws://${HOST}:${server.port}`,
      WebSocketPolyfill: WebSocket,
    });
    const provider = new HocuspocusProvider({
      websocketProvider: socket,
      name: docName,
      document: doc,
      token: token(user),
    });
    provider.attach();
    return {
      doc,
      origin: provider,
      synced: () => provider.isSynced,
      whenSynced: () =>
        new Promise<void>((resolve) => {
          if (provider.isSynced) return resolve();
          const onSynced = () => {
            provider.off('synced', onSynced);
            resolve();
          };
          provider.on('synced', onSynced);
        }),
      connected: () => String(socket.status) === 'connected',
      connect: () => void socket.connect(),
      disconnect: () => socket.disconnect(),
      destroy() {
        provider.destroy();
        socket.destroy();
        doc.destroy();
      },
    };
  }
  const params: Record<string, string> = { token: token(user) };
  if (server.kind === 'concord') {
    params.concord = '1';
    params.schema = String(productKind.schemaVersion);
  }
  const provider = new WebsocketProvider(`ws://${HOST}:${server.port}`, docName, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params,
    disableBc: true,
    maxBackoffTime: 500,
  });
  // Acks are measured by the raw writers; error events are collected and reported.
  provider.messageHandlers[MessageType.savedAck] = (_e, decoder) => void readSavedAck(decoder);
  provider.messageHandlers[MessageType.error] = (_e, decoder) => {
    const event = readErrorEvent(decoder);
    serverErrors.push(`${docName}: ${event.code}: ${event.message}`);
  };
  return {
    doc,
    origin: provider,
    synced: () => provider.synced,
    whenSynced: () =>
      new Promise<void>((resolve) => {
        if (provider.synced) return resolve();
        const onSync = (synced: boolean) => {
          if (!synced) return;
          provider.off('sync', onSync);
          resolve();
        };
        provider.on('sync', onSync);
      }),
    connected: () => provider.wsconnected,
    connect: () => provider.connect(),
    disconnect: () => provider.disconnect(),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Sync one client to an unrelated document, so "cold" means the document, not the process JIT. */
export async function warmUp(server: ServerProcess): Promise<void> {
  const client = yClient(server, 'product:warm-up');
  try {
    await waitFor(() => client.synced(), 'warm-up client synced', 15_000);
  } finally {
    client.destroy();
  }
}
