/**
 * Concord's extension of the y-websocket protocol (see apps/sync-server/PROTOCOL.md for the byte
 * grammar). The standard message types 0 (sync), 1 (awareness), 2 (auth) and 3 (query awareness) are
 * untouched; a client that connects with `?concord=1` also receives types 100 (durable-save ack) and
 * 101 (error event). Pure functions over lib0 encoders.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /** Server → client: the document's state vector as committed to the durable log. */
  savedAck: 100,
  /** Server → client: a change was rejected or compensated, with a reason code. */
  error: 101,
} as const;

/** Query parameter with which a client opts in to message types 100 and 101. */
export const EXTENSION_PARAM = 'concord';
export const EXTENSION_VERSION = '1';
/**
 * Query parameter naming the newest schema version of the document's kind that the client knows.
 * A Concord app that sends none is taken to know version 1 (it predates the parameter).
 */
export const SCHEMA_PARAM = 'schema';
/**
 * Whom the app believes it is signed in as: a query parameter on WebSocket URLs and a header on
 * API calls. The cookies of a browser are shared by its tabs; when another tab signed in as someone
 * else, the server refuses (4401, 401) rather than take this tab's edits as that person's.
 */
export const EXPECTED_USER_PARAM = 'as';
export const EXPECTED_USER_HEADER = 'x-concord-user';

/** Why a change was rejected or compensated. */
export const ReasonCode = {
  /** The writer may read but not write this document (viewer, someone else's profile). */
  readOnly: 'read_only',
  /** The change made the document invalid; it was compensated. */
  invalidDocument: 'invalid_document',
  /** A register timestamp lay too far in the future; the update was refused. */
  clockSkew: 'clock_skew',
  /** A register timestamp was malformed or out of range; the update was refused. */
  clockRange: 'clock_range',
  /**
   * The update wrote under a Yjs client id that belongs to another user, or a register or counter
   * slot that is not the writer's own; the update was refused whole.
   */
  forgedIdentity: 'forged_identity',
  /** The update refers to content the server does not have; it was refused, not buffered. */
  missingDependencies: 'missing_dependencies',
  /** An awareness state was refused (another user's client id, too many ids, too large). */
  awarenessRefused: 'awareness_refused',
  /** The document changed since the version the write was based on (If-Match). */
  versionMoved: 'version_moved',
  /** The document has a newer schema than the writer (or this server) knows: reload. */
  newerSchema: 'newer_schema',
  /** The change would make the document larger than the server allows. */
  documentTooLarge: 'document_too_large',
  /** The update was decodable as a frame but not as a Yjs update. */
  malformedUpdate: 'malformed_update',
  /** The server could not persist the change; it was not applied. */
  storageFailure: 'storage_failure',
} as const;

export type Reason = (typeof ReasonCode)[keyof typeof ReasonCode];

export interface ErrorEvent {
  readonly code: Reason;
  readonly message: string;
  /** Fields affected, when known. */
  readonly fields?: readonly string[];
  /** Log sequence number of a compensating update, when one was appended. */
  readonly compensationSeq?: number;
  /** Yjs client ids the refusal concerns, when it concerns some. */
  readonly clients?: readonly number[];
}

export function writeSavedAck(
  encoder: encoding.Encoder,
  stateVector: Uint8Array,
  seq: number,
): void {
  encoding.writeVarUint(encoder, MessageType.savedAck);
  encoding.writeVarUint(encoder, seq);
  encoding.writeVarUint8Array(encoder, stateVector);
}

/** Reads the body of a savedAck (after its type has been read). */
export function readSavedAck(decoder: decoding.Decoder): { seq: number; stateVector: Uint8Array } {
  const seq = decoding.readVarUint(decoder);
  const stateVector = decoding.readVarUint8Array(decoder);
  return { seq, stateVector };
}

export function writeErrorEvent(encoder: encoding.Encoder, event: ErrorEvent): void {
  encoding.writeVarUint(encoder, MessageType.error);
  encoding.writeVarString(encoder, event.code);
  encoding.writeVarString(encoder, event.message);
  encoding.writeVarString(
    encoder,
    JSON.stringify({
      fields: event.fields ?? [],
      compensationSeq: event.compensationSeq ?? null,
      ...(event.clients ? { clients: event.clients } : {}),
    }),
  );
}

/** Reads the body of an error event (after its type has been read). */
export function readErrorEvent(decoder: decoding.Decoder): ErrorEvent {
  const code = decoding.readVarString(decoder) as Reason;
  const message = decoding.readVarString(decoder);
  const details = JSON.parse(decoding.readVarString(decoder)) as {
    fields?: string[];
    compensationSeq?: number | null;
    clients?: number[];
  };
  return {
    code,
    message,
    fields: details.fields ?? [],
    ...(typeof details.compensationSeq === 'number'
      ? { compensationSeq: details.compensationSeq }
      : {}),
    ...(Array.isArray(details.clients) ? { clients: details.clients } : {}),
  };
}

export function encodeMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}
