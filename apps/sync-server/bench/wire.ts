/**
 * The three servers' wire formats, for the benchmark's raw-socket clients (writers, per-document
 * clients, burst senders): one adapter per server says how to connect, how to frame y-protocols
 * sync messages and how to read what the server sends.
 *
 * - concord and reference: the y-websocket protocol — a frame is `varUint(type)` + payload,
 *   type 0 = sync (step 1, step 2, update). The document is the URL path. Concord adds savedAck
 *   (type 100) for clients that opt in (`?concord=1`).
 * - hocuspocus (3.x): every frame starts with `varString(documentName)`, then `varUint(type)`:
 *   0 sync (4 = sync reply, same payload), 2 auth, 8 sync status (`varUint(1)`: the update was
 *   applied). A connection must first send an auth frame (`varUint(0)` + `varString(token)`) for
 *   the document; the server answers `authenticated` (auth type 2) and queues everything else
 *   until then. With no onAuthenticate hook any token is accepted.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import { MessageType, productKind, readSavedAck } from '@concord/shared';
import { HOST, token, type ServerKind, type ServerProcess } from './harness.js';

export type WireEvent =
  | { kind: 'syncStep1'; stateVector: Uint8Array }
  | { kind: 'syncStep2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  /** Concord: the updates covered by this state vector are durably stored. */
  | { kind: 'savedAck'; stateVector: Uint8Array }
  /** Hocuspocus: the last update was applied (to memory; storing is debounced). */
  | { kind: 'applied' }
  | { kind: 'authenticated' }
  | { kind: 'other'; type: number };

const HP = { sync: 0, auth: 2, syncReply: 4, syncStatus: 8, authToken: 0, authOk: 2 } as const;

function readSync(decoder: decoding.Decoder): WireEvent {
  const sub = decoding.readVarUint(decoder);
  const payload = decoding.readVarUint8Array(decoder);
  if (sub === syncProtocol.messageYjsSyncStep1) return { kind: 'syncStep1', stateVector: payload };
  if (sub === syncProtocol.messageYjsSyncStep2) return { kind: 'syncStep2', update: payload };
  return { kind: 'update', update: payload };
}

export interface Wire {
  /** The URL a raw client of `docName` connects to. */
  url(server: ServerProcess, docName: string, user: string): string;
  /** Frames to send as soon as the socket is open (Hocuspocus: authentication). */
  hello(docName: string, user: string): Uint8Array[];
  /** A sync frame (type 0) whose payload `write` encodes. */
  sync(docName: string, write: (e: encoding.Encoder) => void): Uint8Array;
  parse(frame: Uint8Array): WireEvent;
}

/** URL of `docName` on Concord or the reference, with a token (ignored by the reference). */
function docUrl(server: ServerProcess, docName: string, user: string): string {
  const params = new URLSearchParams({ token: token(user) });
  if (server.kind === 'concord') {
    params.set('concord', '1');
    params.set('schema', String(productKind.schemaVersion));
  }
  return `ws://${HOST}:${server.port}/${docName}?${params.toString()}`;
}

const yWebsocketWire: Wire = {
  url: docUrl,
  hello: () => [],
  sync(_docName, write) {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, MessageType.sync);
    write(e);
    return encoding.toUint8Array(e);
  },
  parse(frame) {
    const d = decoding.createDecoder(frame);
    const type = decoding.readVarUint(d);
    if (type === MessageType.sync) return readSync(d);
    if (type === MessageType.savedAck) return { kind: 'savedAck', ...readSavedAck(d) };
    return { kind: 'other', type };
  },
};

const hocuspocusWire: Wire = {
  url: (server) => `ws://${HOST}:${server.port}`,
  hello(docName, user) {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, docName);
    encoding.writeVarUint(e, HP.auth);
    encoding.writeVarUint(e, HP.authToken);
    encoding.writeVarString(e, token(user));
    return [encoding.toUint8Array(e)];
  },
  sync(docName, write) {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, docName);
    encoding.writeVarUint(e, HP.sync);
    write(e);
    return encoding.toUint8Array(e);
  },
  parse(frame) {
    const d = decoding.createDecoder(frame);
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    if (type === HP.sync || type === HP.syncReply) return readSync(d);
    if (type === HP.syncStatus)
      return decoding.readVarUint(d) === 1 ? { kind: 'applied' } : { kind: 'other', type };
    if (type === HP.auth && decoding.readVarUint(d) === HP.authOk) return { kind: 'authenticated' };
    return { kind: 'other', type };
  },
};

function wireOf(kind: ServerKind): Wire {
  return kind === 'hocuspocus' ? hocuspocusWire : yWebsocketWire;
}

/**
 * A raw WebSocket client of one document. It reads every frame the server sends (so the server
 * is never held back by TCP backpressure) and hands each to `onFrame` undecoded; `parse` decodes.
 */
export class RawClient {
  readonly ws: WebSocket;
  readonly wire: Wire;
  open = false;
  /** The server sent its first frame: it accepted the connection. */
  answered = false;
  closed = false;

  constructor(
    server: ServerProcess,
    readonly docName: string,
    user: string,
    onFrame?: (data: Buffer) => void,
    onClose?: (code: number) => void,
  ) {
    this.wire = wireOf(server.kind);
    this.ws = new WebSocket(this.wire.url(server, docName, user), { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      this.open = true;
      for (const frame of this.wire.hello(docName, user)) this.ws.send(frame);
    });
    this.ws.on('message', (data: Buffer) => {
      this.answered = true;
      onFrame?.(data);
    });
    this.ws.on('close', (code) => {
      this.open = false;
      this.closed = true;
      onClose?.(code);
    });
    this.ws.on('error', () => {});
  }

  parse(data: Buffer): WireEvent {
    return this.wire.parse(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  send(frame: Uint8Array): void {
    this.ws.send(frame);
  }

  sendUpdate(update: Uint8Array): void {
    this.ws.send(this.wire.sync(this.docName, (e) => syncProtocol.writeUpdate(e, update)));
  }

  sendStep1(stateVector: Uint8Array): void {
    this.ws.send(
      this.wire.sync(this.docName, (e) => {
        encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep1);
        encoding.writeVarUint8Array(e, stateVector);
      }),
    );
  }

  sendStep2(update: Uint8Array): void {
    this.ws.send(
      this.wire.sync(this.docName, (e) => {
        encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
        encoding.writeVarUint8Array(e, update);
      }),
    );
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
