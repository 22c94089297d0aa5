import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  addTag,
  adjustCounter,
  describeChange,
  fieldChange,
  minimalEdit,
  productKind,
  readCounter,
  readTagSet,
  removeTag,
  replaceText,
} from '../src/index.js';

function pair() {
  const a = new Y.Doc();
  a.clientID = 1;
  const b = new Y.Doc();
  b.clientID = 2;
  const sync = () => {
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
  };
  return { a, b, sync };
}

describe('counter', () => {
  it('CTR1: concurrent deltas from two offline replicas all survive (+5 and +5 is +10, not +5)', () => {
    const { a, b, sync } = pair();
    adjustCounter(a.getMap('c:stock'), 5);
    adjustCounter(b.getMap('c:stock'), 5);
    adjustCounter(b.getMap('c:stock'), -3);
    sync();
    expect(readCounter(a.getMap('c:stock'))).toBe(7);
    expect(readCounter(b.getMap('c:stock'))).toBe(7);
  });

  it('CTR2: duplicated delivery of an adjustment counts it once', () => {
    const { a, b } = pair();
    const updates: Uint8Array[] = [];
    a.on('update', (u: Uint8Array) => updates.push(u));
    adjustCounter(a.getMap('c:stock'), 4);
    for (const u of [...updates, ...updates]) Y.applyUpdate(b, u);
    expect(readCounter(b.getMap('c:stock'))).toBe(4);
  });

  it('CTR3: non-integer deltas are refused', () => {
    const { a } = pair();
    expect(() => adjustCounter(a.getMap('c:stock'), 1.5)).toThrow(RangeError);
    expect(readCounter(a.getMap('c:stock'))).toBe(0);
  });
});

describe('add-wins tag set', () => {
  it('SET1: an add concurrent with a remove of the same tag keeps the tag', () => {
    const { a, b, sync } = pair();
    addTag(a.getMap('s:tags'), 'sale');
    sync();
    removeTag(a.getMap('s:tags'), 'sale');
    addTag(b.getMap('s:tags'), 'sale'); // b re-adds concurrently
    sync();
    expect(readTagSet(a.getMap('s:tags'))).toEqual(['sale']);
    expect(readTagSet(b.getMap('s:tags'))).toEqual(['sale']);
  });

  it('SET1: an add survives a concurrent add-then-remove by a replica that never saw it, whichever client id is higher', () => {
    for (const [idA, idB] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const a = new Y.Doc();
      a.clientID = idA;
      const b = new Y.Doc();
      b.clientID = idB;
      addTag(a.getMap('s:tags'), 'x');
      addTag(b.getMap('s:tags'), 'x');
      removeTag(b.getMap('s:tags'), 'x');
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
      Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
      expect(readTagSet(a.getMap('s:tags'))).toEqual(['x']);
      expect(readTagSet(b.getMap('s:tags'))).toEqual(['x']);
    }
  });

  it('SET2: a remove that saw every add removes the tag; elements read sorted', () => {
    const { a, b, sync } = pair();
    addTag(a.getMap('s:tags'), 'zeta');
    addTag(b.getMap('s:tags'), 'alpha');
    addTag(b.getMap('s:tags'), 'zeta');
    sync();
    expect(readTagSet(a.getMap('s:tags'))).toEqual(['alpha', 'zeta']);
    removeTag(b.getMap('s:tags'), 'zeta');
    sync();
    expect(readTagSet(a.getMap('s:tags'))).toEqual(['alpha']);
  });
});

describe('collaborative text', () => {
  it('TXT1: two concurrent insertions both survive, character by character', () => {
    const { a, b, sync } = pair();
    replaceText(a.getText('t:description'), 'Warm wool socks');
    sync();
    replaceText(a.getText('t:description'), 'Warm merino wool socks');
    replaceText(b.getText('t:description'), 'Warm wool socks, size 42');
    sync();
    expect(a.getText('t:description').toString()).toBe('Warm merino wool socks, size 42');
    expect(b.getText('t:description').toString()).toBe(a.getText('t:description').toString());
  });

  it('TXT2: replacing the whole value is a minimal edit that keeps common prefix and suffix', () => {
    expect(minimalEdit('hello world', 'hello brave world')).toEqual({
      index: 6,
      deleteCount: 0,
      insert: 'brave ',
    });
    expect(minimalEdit('abc', 'abc')).toEqual({ index: 3, deleteCount: 0, insert: '' });
    expect(minimalEdit('aaa', 'aa')).toEqual({ index: 2, deleteCount: 1, insert: '' });
    expect(minimalEdit('', 'x')).toEqual({ index: 0, deleteCount: 0, insert: 'x' });
    // never splits a surrogate pair
    const e = minimalEdit('a😀b', 'a😃b');
    expect(e.index).toBe(1);
    expect(e.deleteCount).toBe(2);
    for (const [before, after] of [
      ['kitten', 'sitting'],
      ['', ''],
      ['same', ''],
      ['😀😀', '😀😃😀'],
    ] as const) {
      const ed = minimalEdit(before, after);
      expect(before.slice(0, ed.index) + ed.insert + before.slice(ed.index + ed.deleteCount)).toBe(
        after,
      );
    }
  });

  it('TXT3: a text change is recorded as its splice, whose size follows the edit, not the text', () => {
    const long = 'x'.repeat(15_000);
    const before = `${long} walnut`;
    const after = `${long} oiled walnut`;
    const change = fieldChange(productKind, 'description', before, after)!;
    expect(change).toEqual({ field: 'description', at: 15_001, from: '', to: 'oiled ' });
    // The splice applied to the text before gives the text after.
    const at = change.at!;
    const from = String(change.from);
    expect(before.slice(0, at) + String(change.to) + before.slice(at + from.length)).toBe(after);
    expect(describeChange(productKind, change)).toBe('+6 characters: “oiled ”');
    expect(fieldChange(productKind, 'description', after, after)).toBeUndefined();
    const deletion = fieldChange(productKind, 'description', 'solid oak', 'oak')!;
    expect(deletion).toEqual({ field: 'description', at: 0, from: 'solid ', to: '' });
    expect(describeChange(productKind, deletion)).toBe('−6 characters: “solid ”');
    expect(
      describeChange(productKind, { field: 'description', at: 0, from: 'oak', to: 'elm' }),
    ).toBe('+3 −3 characters: “oak” → “elm”');
    // Entries logged before splices hold the whole texts.
    expect(describeChange(productKind, { field: 'description', from: 'ab', to: 'abc' })).toBe(
      '+1 characters: “c”',
    );
  });

  it('scalar, counter and tag changes record both values; equal values are no change', () => {
    expect(fieldChange(productKind, 'priceCents', 100, 250)).toEqual({
      field: 'priceCents',
      from: 100,
      to: 250,
    });
    expect(fieldChange(productKind, 'tags', ['a'], ['a'])).toBeUndefined();
    expect(describeChange(productKind, fieldChange(productKind, 'stock', 3, 5)!)).toBe(
      '3 → 5 (+2)',
    );
  });
});
