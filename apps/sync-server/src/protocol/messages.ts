/**
 * The wire protocol, server side: every frame a client may send is read here into a typed message,
 * and every frame the server sends is written here. y-websocket framing (PROTOCOL.md): sync
 * (type 0: step 1, step 2, update), awareness (1), auth (2), query awareness (3); Concord's opt-in
 * savedAck (100) and error (101) are written by `@concord/shared`.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MessageType, writeErrorEvent, writeSavedAck, type ErrorEvent } from '@concord/shared';

const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
const AUTH_PERMISSION_DENIED = 0;

/** One awareness state as it travels: the state is JSON text, `null` text for a removal. */
export interface AwarenessEntry {
  readonly clientId: number;
  readonly clock: number;
  readonly state: string;
}

export type ClientMessage =
  | { readonly kind: 'syncStep1'; readonly stateVector: Uint8Array }
  | { readonly kind: 'syncStep2'; readonly update: Uint8Array }
  | { readonly kind: 'update'; readonly update: Uint8Array }
  | { readonly kind: 'awareness'; readonly entries: readonly AwarenessEntry[] }
  | { readonly kind: 'auth' }
  | { readonly kind: 'queryAwareness' };

/** A frame that is not part of the protocol; the connection is closed with 4400. */
export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
}

/** Most awareness entries one frame may carry before it is refused undecoded (AW2). */
const MAX_AWARENESS_ENTRIES_PER_FRAME = 64;

/** Read one client frame. Throws `MalformedMessage` for anything else. */
export function readClientMessage(frame: Uint8Array): ClientMessage {
  try {
    const decoder = decoding.createDecoder(frame);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync:
        return readSync(decoder);
      case MessageType.awareness:
        return {
          kind: 'awareness',
          entries: readAwarenessUpdate(decoding.readVarUint8Array(decoder)),
        };
      case MessageType.auth:
        return { kind: 'auth' };
      case MessageType.queryAwareness:
        return { kind: 'queryAwareness' };
      default:
        throw new MalformedMessage(`unknown message type ${type}`);
    }
  } catch (error) {
    if (error instanceof MalformedMessage) throw error;
    throw new MalformedMessage(`undecodable frame: ${(error as Error).message}`);
  }
}

function readSync(decoder: decoding.Decoder): ClientMessage {
  const sub = decoding.readVarUint(decoder);
  const payload = decoding.readVarUint8Array(decoder);
  switch (sub) {
    case SYNC_STEP1:
      return { kind: 'syncStep1', stateVector: payload };
    case SYNC_STEP2:
      return { kind: 'syncStep2', update: payload };
    case SYNC_UPDATE:
      return { kind: 'update', update: payload };
    default:
      throw new MalformedMessage(`unknown sync message type ${sub}`);
  }
}

/** The y-protocols awareness encoding: count, then (clientId, clock, state JSON) per entry. */
function readAwarenessUpdate(bytes: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(bytes);
  const count = decoding.readVarUint(decoder);
  if (count > MAX_AWARENESS_ENTRIES_PER_FRAME) {
    throw new MalformedMessage(
      `awareness frame with ${count} entries (at most ${MAX_AWARENESS_ENTRIES_PER_FRAME})`,
    );
  }
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = decoding.readVarString(decoder);
    entries.push({ clientId, clock, state });
  }
  return entries;
}

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

export function writeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SYNC_STEP1);
    encoding.writeVarUint8Array(e, stateVector);
  });
}

export function writeSyncStep2(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SYNC_STEP2);
    encoding.writeVarUint8Array(e, update);
  });
}

export function writeUpdate(update: Uint8Array): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SYNC_UPDATE);
    encoding.writeVarUint8Array(e, update);
  });
}

export function writeAwareness(entries: readonly AwarenessEntry[]): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.awareness);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(inner, entry.clientId);
      encoding.writeVarUint(inner, entry.clock);
      encoding.writeVarString(inner, entry.state);
    }
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  });
}

/** y-protocols auth: permission denied (understood by every y-websocket client). */
export function writePermissionDenied(reason: string): Uint8Array {
  return frame((e) => {
    encoding.writeVarUint(e, MessageType.auth);
    encoding.writeVarUint(e, AUTH_PERMISSION_DENIED);
    encoding.writeVarString(e, reason);
  });
}

/** Concord's durable-save acknowledgement (opt-in clients only). */
export function writeAck(stateVector: Uint8Array, seq: number): Uint8Array {
  return frame((e) => writeSavedAck(e, stateVector, seq));
}

/** Concord's error event (opt-in clients only). */
export function writeError(event: ErrorEvent): Uint8Array {
  return frame((e) => writeErrorEvent(e, event));
}
