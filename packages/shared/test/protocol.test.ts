import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  MessageType,
  ReasonCode,
  closeAdvice,
  encodeMessage,
  isFullySaved,
  readErrorEvent,
  readSavedAck,
  unsavedClocks,
  writeErrorEvent,
  writeSavedAck,
} from '../src/index.js';

describe('protocol extension', () => {
  it('PROTO1: a saved-ack round-trips its sequence number and state vector', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello');
    const sv = Y.encodeStateVector(doc);
    const bytes = encodeMessage((e) => writeSavedAck(e, sv, 42));
    const d = decoding.createDecoder(bytes);
    expect(decoding.readVarUint(d)).toBe(MessageType.savedAck);
    expect(readSavedAck(d)).toEqual({ seq: 42, stateVector: sv });
  });

  it('PROTO2: an error event round-trips code, message, fields and compensation sequence', () => {
    const event = {
      code: ReasonCode.invalidDocument,
      message: 'price must not be negative',
      fields: ['priceCents'],
      compensationSeq: 7,
    };
    const d = decoding.createDecoder(encodeMessage((e) => writeErrorEvent(e, event)));
    expect(decoding.readVarUint(d)).toBe(MessageType.error);
    expect(readErrorEvent(d)).toEqual(event);
  });

  it('PROTO5: close codes are grouped by whether a retry helps', () => {
    expect(closeAdvice(CloseCode.goingAway)).toBe('reconnect');
    expect(closeAdvice(CloseCode.rateLimited)).toBe('reconnect');
    expect(closeAdvice(1006)).toBe('reconnect');
    expect(closeAdvice(CloseCode.unauthorized)).toBe('reauthenticate');
    expect(closeAdvice(CloseCode.forbidden)).toBe('give_up');
    expect(closeAdvice(CloseCode.malformedMessage)).toBe('give_up');
    expect(closeAdvice(CloseCode.messageTooLarge)).toBe('give_up');
    expect(new Set(Object.values(CloseCode)).size).toBe(Object.values(CloseCode).length);
  });
});

describe('saved state', () => {
  it('ACK1 ACK2: local changes are saved once the acknowledged state vector covers them; the rest are counted', () => {
    const doc = new Y.Doc();
    doc.clientID = 5;
    doc.getText('t').insert(0, 'abc');
    const saved = Y.decodeStateVector(Y.encodeStateVector(doc));
    expect(isFullySaved(Y.decodeStateVector(Y.encodeStateVector(doc)), saved)).toBe(true);
    doc.getText('t').insert(3, 'de');
    const local = Y.decodeStateVector(Y.encodeStateVector(doc));
    expect(isFullySaved(local, saved)).toBe(false);
    expect(unsavedClocks(local, saved)).toEqual(new Map([[5, 2]]));
  });
});
