/**
 * A whole-value text write is the edits a character diff finds (SPEC TXT2): it touches only what
 * it changes, so a concurrent edit elsewhere survives it and its update is as small as the change.
 */
import * as Y from 'yjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replaceText, textEdits, type TextEdit } from '../src/index.js';

/** Apply edits to a plain string, each index counted in the string the edits before left. */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of edits)
    out = out.slice(0, e.index) + e.insert + out.slice(e.index + e.deleteCount);
  return out;
}

const isLone = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** Strings from a small alphabet (shared characters are likely) with emoji (surrogate pairs). */
const text = fc
  .array(fc.constantFrom('a', 'b', 'c', ' ', '😀', '😃', 'é'), { maxLength: 40 })
  .map((chars) => chars.join(''));

describe('text edits', () => {
  it('TXT2: the edits turn the old value into the new one, in a string and in a Y.Text, and never split a surrogate pair', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        const edits = textEdits(before, after);
        expect(applyEdits(before, edits)).toBe(after);
        let partial = before;
        for (const e of edits) {
          partial = applyEdits(partial, [e]);
          expect(isLone(partial)).toBe(false);
        }
        const doc = new Y.Doc();
        const y = doc.getText('t');
        y.insert(0, before);
        replaceText(y, after);
        expect(y.toString()).toBe(after);
        if (before === after) expect(edits).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('TXT2: a value trimmed at the start and extended at the end is two one-character edits, not the text again', () => {
    const before = 'cgkoswaeimquy'.repeat(100);
    const after = `${before.slice(1)}c`;
    expect(textEdits(before, after)).toEqual([
      { index: 0, deleteCount: 1, insert: '' },
      { index: before.length - 1, deleteCount: 0, insert: 'c' },
    ]);
    const doc = new Y.Doc();
    doc.getText('t').insert(0, before);
    const sv = Y.encodeStateVector(doc);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    replaceText(doc.getText('t'), after);
    // One update, and as small as the change.
    expect(updates).toHaveLength(1);
    expect(Y.encodeStateAsUpdate(doc, sv).byteLength).toBeLessThan(100);
  });

  it('TXT1: a concurrent deletion in the middle survives a write that changed both ends', () => {
    const a = new Y.Doc();
    a.clientID = 1;
    const b = new Y.Doc();
    b.clientID = 2;
    a.getText('t').insert(0, 'one two three four');
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    replaceText(a.getText('t'), 'One two three four!');
    replaceText(b.getText('t'), 'one three four');
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    expect(a.getText('t').toString()).toBe('One three four!');
    expect(b.getText('t').toString()).toBe('One three four!');
  });

  it('values too different to diff cheaply are one splice, still exact', () => {
    const random = (seed: number) =>
      Array.from({ length: 5_000 }, (_, i) =>
        String.fromCharCode(97 + ((i * seed + seed) % 26)),
      ).join('');
    const before = `x${random(7)}y`;
    const after = `z${random(11)}w`;
    const edits = textEdits(before, after);
    expect(edits).toHaveLength(1);
    expect(applyEdits(before, edits)).toBe(after);
  });
});
