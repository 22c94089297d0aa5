/**
 * A hostile (or buggy) client on a bare WebSocket: it sends frames it builds itself with lib0 and
 * records what comes back — close code, decoded error events (type 101), every frame. Built
 * independently of the server's own protocol module.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { MessageType, readErrorEvent, type ErrorEvent } from '@concord/shared';
import { SCHEMA, waitFor } from './helpers.js';

export interface Attacker {
  readonly ws: WebSocket;
  readonly frames: Uint8Array[];
  readonly errors: ErrorEvent[];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The code once closed, else undefined. */
  closeCode(): number | undefined;
  send(frame: Uint8Array): void;
  close(): void;
}

export async function attacker(
  server: { wsUrl: string },
  doc: string,
  tok: string,
): Promise<Attacker> {
  const ws = new WebSocket(
    `${server.wsUrl}/${doc}?token=${encodeURIComponent(tok)}&concord=1&schema=${SCHEMA}`,
  );
  const frames: Uint8Array[] = [];
  const errors: ErrorEvent[] = [];
  let code: number | undefined;
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    const bytes = new Uint8Array(data);
    frames.push(bytes);
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) === MessageType.error) errors.push(readErrorEvent(decoder));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (c, reason) => {
      code = c;
      resolve({ code: c, reason: reason.toString() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  // The server sends its sync step 1 once the document is loaded.
  await waitFor(() => frames.length > 0, 'server greeting');
  return {
    ws,
    frames,
    errors,
    closed,
    closeCode: () => code,
    send: (frame) => ws.send(frame),
    close: () => ws.close(),
  };
}

function build(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

/** A y-websocket "update" frame (sync, type 2). */
export function updateFrame(update: Uint8Array): Uint8Array {
  return build((e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, update);
  });
}

/** A y-websocket awareness frame with the given entries (state as JSON text). */
export function awarenessFrame(
  entries: readonly { client: number; clock: number; state: unknown }[],
): Uint8Array {
  const inner = build((e) => {
    encoding.writeVarUint(e, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(e, entry.client);
      encoding.writeVarUint(e, entry.clock);
      encoding.writeVarString(e, JSON.stringify(entry.state));
    }
  });
  return build((e) => {
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint8Array(e, inner);
  });
}
