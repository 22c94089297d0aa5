import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  HybridClock,
  MAX_COUNTER_SLOT,
  SERVER_IDENTITY,
  checkMapEntry,
  parseDocName,
  productKind,
  readCounter,
  writeRegister,
  type EntryWriter,
} from '../src/index.js';

const now = 1_800_000_000_000;
const writer: EntryWriter = { client: 7, user: 'ann', nowMs: now, maxSkewMs: 60_000 };
const slot = (over: Record<string, unknown> = {}) => ({
  v: 'Lamp',
  t: { wallMs: now, counter: 0, replicaId: 'r' },
  by: 'ann',
  ...over,
});
const check = (type: string, key: string, value: unknown) =>
  checkMapEntry(productKind, type, key, value, writer);

describe('incoming entries', () => {
  it('ENTRY1: a register slot is the writer’s own, names the writer, and carries a bounded stamp', () => {
    expect(check('r:name', '7', slot())).toEqual({ ok: true });
    expect(check('r:name', '8', slot())).toMatchObject({ ok: false, code: 'forged_identity' });
    expect(check('r:name', '7', slot({ by: 'bob' }))).toMatchObject({
      ok: false,
      code: 'forged_identity',
    });
    expect(
      check('r:name', '7', slot({ t: { wallMs: now, counter: 2 ** 53 - 1, replicaId: 'r' } })),
    ).toMatchObject({
      ok: false,
      code: 'clock_range',
    });
    expect(
      check('r:name', '7', slot({ t: { wallMs: now + 60_001, counter: 0, replicaId: 'r' } })),
    ).toMatchObject({
      ok: false,
      code: 'clock_skew',
    });
    expect(check('r:name', '7', { ...slot(), extra: 1 })).toMatchObject({
      ok: false,
      code: 'malformed_entry',
    });
    expect(check('r:name', '7', 'not a slot')).toMatchObject({
      ok: false,
      code: 'malformed_entry',
    });
  });

  it('ENTRY2: counter slots, set entries and meta hold only what they may; unknown types are refused', () => {
    expect(check('c:stock', '7', 5)).toEqual({ ok: true });
    expect(check('c:stock', '8', 5)).toMatchObject({ code: 'forged_identity' });
    expect(check('c:stock', '7', MAX_COUNTER_SLOT + 1)).toMatchObject({ code: 'malformed_entry' });
    expect(check('c:stock', '7', 1.5)).toMatchObject({ code: 'malformed_entry' });
    expect(check('s:tags', 'sale', true)).toEqual({ ok: true });
    expect(check('s:tags', 'sale', 'yes')).toMatchObject({ code: 'malformed_entry' });
    expect(check('meta', 'kind', 'product')).toEqual({ ok: true });
    expect(check('meta', 'kind', 'profile')).toMatchObject({ code: 'malformed_entry' });
    expect(check('meta', 'schemaVersion', 1)).toEqual({ ok: true });
    for (const v of [1.5, 0, 3, '1'])
      expect(check('meta', 'schemaVersion', v)).toMatchObject({ ok: false });
    expect(check('meta', 'other', 1)).toMatchObject({ code: 'malformed_entry' });
    expect(check('r:nope', '7', slot())).toMatchObject({ code: 'unknown_type' });
    expect(check('t:description', 'k', 'x')).toMatchObject({ code: 'malformed_entry' });
  });

  it('ENTRY3: the server’s identity is no user id', () => {
    expect(parseDocName(`profile:${SERVER_IDENTITY}`).ok).toBe(false);
  });

  it('LWW7: a clock that would issue a malformed stamp makes the write fail before any slot is pruned', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('r:name');
    writeRegister(map, 'kept', new HybridClock({ replicaId: 'a' }), 'ann');
    const broken = {
      now: () => ({ wallMs: 1, counter: 2 ** 53, replicaId: 'x' }),
      tryReceive: () => undefined,
    };
    expect(() => writeRegister(map, 'lost?', broken as unknown as HybridClock, 'bob')).toThrow(
      RangeError,
    );
    expect(map.size).toBe(1);
  });

  it('CTR4: a counter sums its slots exactly; a sum beyond the safe integers is not read as one', () => {
    const doc = new Y.Doc();
    const map = doc.getMap('c:stock');
    // In this order a floating-point running sum passes 2^53 and rounds (to 5 or 7).
    map.set('1', Number.MAX_SAFE_INTEGER);
    map.set('2', 6);
    map.set('3', -Number.MAX_SAFE_INTEGER);
    expect(readCounter(map)).toBe(6);
    map.set('3', Number.MAX_SAFE_INTEGER);
    expect(Number.isSafeInteger(readCounter(map))).toBe(false);
  });
});
